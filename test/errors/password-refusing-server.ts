// The local test server trusts 127.0.0.1, so it never refuses a password. This speaks just enough
// of PostgreSQL's wire protocol (v3) to do what a server with password authentication does when
// the password is wrong: ask for it in clear text, then answer with the ErrorResponse PostgreSQL
// sends (FATAL, SQLSTATE 28P01) and close the connection.
import { createServer, type Socket } from 'node:net';

const SSL_REQUEST = 80877103;

function message(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type), length, body]);
}

function authenticationCleartextPassword(): Buffer {
  const body = Buffer.alloc(4);
  body.writeInt32BE(3);
  return message('R', body);
}

function passwordRefused(user: string): Buffer {
  const fields = ['SFATAL', 'VFATAL', 'C28P01', `Mpassword authentication failed for user "${user}"`, 'Rauth_failed'];
  return message('E', Buffer.from(`${fields.join('\0')}\0\0`));
}

/** Reads the startup packet (after declining SSL), asks for the password, refuses it. */
function refuse(socket: Socket): void {
  let buffered = Buffer.alloc(0);
  let user: string | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (user === undefined) {
      if (buffered.length < 8 || buffered.length < buffered.readInt32BE(0)) return;
      const length = buffered.readInt32BE(0);
      const code = buffered.readInt32BE(4);
      const pairs = buffered.subarray(8, length).toString('utf8').split('\0');
      buffered = buffered.subarray(length);
      if (code === SSL_REQUEST) return void socket.write('N');
      user = pairs[pairs.indexOf('user') + 1] || 'postgres';
      socket.write(authenticationCleartextPassword());
    } else if (buffered[0] === 'p'.charCodeAt(0)) {
      socket.end(passwordRefused(user));
    }
  });
  socket.on('error', () => {});
}

/** Starts the server on 127.0.0.1 at a free port. */
export async function startPasswordRefusingServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer(refuse);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return { port, close: () => new Promise((done) => server.close(() => done())) };
}
