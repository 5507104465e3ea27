/** Test certificates made with openssl (P-256 keys): what the TLS and broker-security tests share. */

/** openssl arguments for a new P-256 key without a passphrase. */
export const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/**
 * A signer over `run` (openssl with the given arguments, in the certificates' folder): `sign(name, cn,
 * ca, days, ext)` writes `<name>.key` and `<name>.crt` for common name `cn`, signed by `<ca>.crt`/`.key`,
 * valid `days` days, with the extensions file `ext` if given.
 */
export function certSigner(
  run: (...args: string[]) => void,
): (name: string, cn: string, ca: string, days?: number, ext?: string) => void {
  return (name, cn, ca, days = 2, ext) => {
    run('req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      String(days),
      ...(ext ? ['-extfile', ext] : []),
    );
  };
}
