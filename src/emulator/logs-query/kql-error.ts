/** A query the emulator refuses, in Log Analytics' two kinds: it did not parse, or it means nothing here. */
export class KqlError extends Error {
  constructor(
    readonly kind: 'SyntaxError' | 'SemanticError',
    message: string,
  ) {
    super(message);
    this.name = 'KqlError';
  }
}

export const syntaxError = (message: string): KqlError => new KqlError('SyntaxError', message);
export const semanticError = (message: string): KqlError => new KqlError('SemanticError', message);
