import { Algorithm, hash, verify } from '@node-rs/argon2';

/** argon2id with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane). */
const ARGON2_OPTIONS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/**
 * Checks passwords; for an unknown user it verifies against a dummy hash
 * with the same parameters, so both failures take about as long.
 */
export class PasswordVerifier {
  private dummyHash: Promise<string> | undefined;

  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    if (storedHash === undefined) {
      this.dummyHash ??= hashPassword('dummy-password-for-timing');
      await verify(await this.dummyHash, password);
      return false;
    }
    return verify(storedHash, password);
  }
}
