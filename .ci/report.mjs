// Reads vitest's JSON report (the path given): prints the ten slowest test files with their
// seconds, names every file over the budget, and ends with the line CI reads, "N passed, N failed".
// Exits 1 when no test ran against the PostgreSQL server.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** A test file should finish within a minute; over that it is named as over budget. */
const BUDGET_SECONDS = 60;

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const files = report.testResults.map((file) => ({
  name: relative(process.cwd(), file.name),
  seconds: (file.endTime - file.startTime) / 1000,
}));
files.sort((a, b) => b.seconds - a.seconds);
console.log('slowest test files:');
for (const { name, seconds } of files.slice(0, 10)) {
  console.log(`${seconds.toFixed(1).padStart(8)} s  ${name}${seconds > BUDGET_SECONDS ? `  OVER BUDGET (${BUDGET_SECONDS} s)` : ''}`);
}
for (const { name, seconds } of files.slice(10).filter((file) => file.seconds > BUDGET_SECONDS)) {
  console.log(`${seconds.toFixed(1).padStart(8)} s  ${name}  OVER BUDGET (${BUDGET_SECONDS} s)`);
}
const wall = (Math.max(...report.testResults.map((f) => f.endTime)) - report.startTime) / 1000;
console.log(`tests took ${wall.toFixed(0)} s of wall time (${files.length} files)`);

const server = report.testResults.flatMap((f) => f.assertionResults).filter((t) => /postgres/.test(t.fullName) && t.status === 'passed');
if (server.length === 0) {
  console.error('no test ran against the PostgreSQL server');
  process.exitCode = 1;
}
const brokenFiles = report.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
console.log(`${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed`);
