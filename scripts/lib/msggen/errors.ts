/** An input interface file is malformed or refers to an unknown type. */
export class MsgGenError extends Error {
  /** Repository-relative path of the offending file, with `:line` when known. */
  readonly where: string;

  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'MsgGenError';
    this.where = where;
  }
}
