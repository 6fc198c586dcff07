import { z } from 'zod';
import { PageQuerySchema } from '../common/pagination';

/** Bounds on operator-supplied metadata, so one agent row stays small. */
export const METADATA_KEYS_MAX = 32;
export const METADATA_VALUE_LENGTH_MAX = 500;

export const AgentMetadataSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'keys are 1-64 letters, digits, "_", ".", ":" or "-"'),
    z.union([z.string().max(METADATA_VALUE_LENGTH_MAX), z.number().finite(), z.boolean(), z.null()]),
  )
  // Prototype keys (`__proto__`, …) are refused earlier, by the JSON body parser.
  .refine((value) => Object.keys(value).length <= METADATA_KEYS_MAX, `at most ${METADATA_KEYS_MAX} keys`);
export type AgentMetadata = z.infer<typeof AgentMetadataSchema>;

export const AgentStatusSchema = z.enum(['active', 'frozen']);

export const CreateAgentSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  metadata: AgentMetadataSchema.default({}),
});
export type CreateAgent = z.infer<typeof CreateAgentSchema>;

export const UpdateAgentSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    metadata: AgentMetadataSchema.optional(),
    status: AgentStatusSchema.optional(),
  })
  .refine((value) => Object.keys(value).length > 0, 'give at least one of name, metadata, status');
export type UpdateAgent = z.infer<typeof UpdateAgentSchema>;

export const ListAgentsQuerySchema = PageQuerySchema.extend({
  status: AgentStatusSchema.optional(),
  name: z.string().trim().min(1).max(200).optional(),
});
export type ListAgentsQuery = z.infer<typeof ListAgentsQuerySchema>;

export const CreateAgentTokenSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });
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
