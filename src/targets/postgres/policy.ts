import { DIGITS, LOWER, UPPER, type GenerationPolicy } from '../../rotation';

/** Safe inside a quoted SQL literal and a libpq connection string: nothing that needs escaping. */
export const POSTGRES_POLICY: GenerationPolicy = {
  name: 'postgres',
  alphabet: `${LOWER}${UPPER}${DIGITS}_-.~`,
  minLength: 16,
  maxLength: 99,
  required: [LOWER, UPPER, DIGITS],
};
