import { z } from 'zod';
import { PageQuerySchema } from '../common/pagination';
import { textSchema } from '../common/text.schema';

/** Bounds on operator-supplied metadata, so one agent row stays small. */
export const METADATA_KEYS_MAX = 32;
export const METADATA_KEY_LENGTH_MAX = 64;
export const METADATA_VALUE_LENGTH_MAX = 500;
/** Agent and agent-token names; the columns are VARCHAR(200). */
export const NAME_LENGTH_MAX = 200;

const NameSchema = textSchema({ min: 1, max: NAME_LENGTH_MAX });

export const AgentMetadataSchema = z
  .record(
    // Metadata is the operator's own data, stored as sent: keys and values are not trimmed.
    textSchema({ min: 1, max: METADATA_KEY_LENGTH_MAX, trim: false }).regex(
      /^[A-Za-z0-9_.:-]+$/,
      `keys are 1-${METADATA_KEY_LENGTH_MAX} letters, digits, "_", ".", ":" or "-"`,
    ),
    z.union([
      textSchema({ min: 0, max: METADATA_VALUE_LENGTH_MAX, trim: false }),
      z.number().finite(),
      z.boolean(),
      z.null(),
    ]),
  )
  // `__proto__` keys are refused earlier, by the JSON body parser.
  .refine((value) => Object.keys(value).length <= METADATA_KEYS_MAX, `at most ${METADATA_KEYS_MAX} keys`);
export type AgentMetadata = z.infer<typeof AgentMetadataSchema>;

export const AgentStatusSchema = z.enum(['active', 'frozen']);

export const CreateAgentSchema = z.strictObject({
  name: NameSchema,
  metadata: AgentMetadataSchema.default({}),
});
export type CreateAgent = z.infer<typeof CreateAgentSchema>;

export const UpdateAgentSchema = z
  .strictObject({
    name: NameSchema.optional(),
    metadata: AgentMetadataSchema.optional(),
    status: AgentStatusSchema.optional(),
  })
  .refine((value) => Object.keys(value).length > 0, 'give at least one of name, metadata, status');
export type UpdateAgent = z.infer<typeof UpdateAgentSchema>;

export const ListAgentsQuerySchema = PageQuerySchema.extend({
  status: AgentStatusSchema.optional(),
  name: NameSchema.optional(),
});
export type ListAgentsQuery = z.infer<typeof ListAgentsQuerySchema>;

export const CreateAgentTokenSchema = z.strictObject({ name: NameSchema });
export type CreateAgentToken = z.infer<typeof CreateAgentTokenSchema>;

export const FaucetRequestSchema = z.strictObject({
  network: z.string().min(1).max(64).optional(),
  /** Token amount in atomic units, as a decimal string. */
  amount: z
    .string()
    .regex(/^[1-9][0-9]{0,30}$/, 'a positive integer in atomic units, as a decimal string')
    .optional(),
});
export type FaucetRequest = z.infer<typeof FaucetRequestSchema>;

export interface AgentView {
  readonly id: string;
  readonly name: string;
  readonly status: 'active' | 'frozen';
  readonly metadata: AgentMetadata;
  readonly wallet: { readonly address: string };
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AgentTokenView {
  readonly id: string;
  readonly agentId: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export interface CreatedAgentTokenView extends AgentTokenView {
  readonly secret: string;
}
