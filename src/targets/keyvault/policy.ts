import { DIGITS, LOWER, UPPER, type GenerationPolicy } from '../../rotation';

/** Consumers read it from Key Vault and often paste it into URLs: URL-safe only. */
export const KEYVAULT_POLICY: GenerationPolicy = {
  name: 'keyvault',
  alphabet: `${LOWER}${UPPER}${DIGITS}-_`,
  minLength: 16,
  maxLength: 1024,
  required: [],
};
