import type { GenerationPolicy } from '../../rotation';

/** None: Microsoft Graph generates an application password itself (`addPassword`), so nothing is generated here. */
export const ENTRA_APP_POLICY: GenerationPolicy | undefined = undefined;
