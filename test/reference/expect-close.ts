/** Moved to test/helpers/numeric.ts, the one numeric comparison of the whole suite. */
export { expectClose } from '../helpers/numeric.ts';
