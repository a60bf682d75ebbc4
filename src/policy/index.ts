export {
  connectionVaults,
  loadTargetPolicy,
  parseTargetPolicy,
  SSL_MODES,
  targetPolicySchema,
  type EntraUserPolicy,
  type PostgresServerPolicy,
  type SslMode,
  type TargetPolicy,
} from './target-policy';
export { POLICY_HINT, refusedByPolicy } from './refusal';
