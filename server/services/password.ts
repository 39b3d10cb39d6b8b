/**
 * Password hashing with scrypt from node:crypto.
 *
 * Hashing is deliberately slow, so it runs on libuv's thread pool (the async
 * `scrypt`) and never on the event loop. The cost is stored in each hash, so
 * raising it later keeps old hashes verifiable.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, encoded: string): Promise<boolean>;
}

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const BLOCK_SIZE = 8;
const PARALLELIZATION = 1;

/** @param costLog2 scrypt's N as a power of two (15 means N = 32768, 32 MiB per hash). */
export function createScryptHasher(costLog2: number): PasswordHasher {
  const cost = 2 ** costLog2;
  return {
    async hash(password) {
      const salt = randomBytes(SALT_LENGTH);
      const key = await derive(password, salt, cost, BLOCK_SIZE, PARALLELIZATION);
      return ["scrypt", cost, BLOCK_SIZE, PARALLELIZATION, salt.toString("base64"), key.toString("base64")].join("$");
    },
    async verify(password, encoded) {
      const parts = encoded.split("$");
      if (parts.length !== 6 || parts[0] !== "scrypt") {
        return false;
      }
      const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
      const expected = Buffer.from(parts[5]!, "base64");
      const key = await derive(password, Buffer.from(parts[4]!, "base64"), n, r, p);
      return timingSafeEqual(key, expected);
    },
  };
}

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; allow that plus headroom above Node's 32 MiB default.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
