import { z } from 'zod';
import { textSchema } from '../common/text.schema';

/** API key names; the column is VARCHAR(200). */
export const API_KEY_NAME_LENGTH_MAX = 200;

export const CreateApiKeySchema = z.strictObject({
  name: textSchema({ min: 1, max: API_KEY_NAME_LENGTH_MAX }),
  scope: z.enum(['admin', 'read']),
});
export type CreateApiKey = z.infer<typeof CreateApiKeySchema>;

/** An API key as listed: never the secret, only its visible prefix. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly scope: 'admin' | 'read';
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** The answer to a creation: the only time the secret is shown. */
export interface CreatedApiKeyView extends ApiKeyView {
  readonly secret: string;
}
