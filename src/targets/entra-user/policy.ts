import { DIGITS, LOWER, UPPER, type GenerationPolicy } from '../../rotation';

const SYMBOLS = '!#$%*+-=?@^_';

/** Entra ID: 8–256 characters, three of four classes; we require all four and avoid ambiguous symbols. */
export const ENTRA_USER_POLICY: GenerationPolicy = {
  name: 'entra-user',
  alphabet: `${LOWER}${UPPER}${DIGITS}${SYMBOLS}`,
  minLength: 16,
  maxLength: 256,
  required: [LOWER, UPPER, DIGITS, SYMBOLS],
};
