export {
  GraphClient,
  graphEndpoint,
  GRAPH_SCOPE,
  type AddedPassword,
  type ApplicationPasswords,
  type GraphApi,
} from './graph-client';
export { entraTokenEndpoint } from './entra-authority';
