import { isAddress } from 'viem';
import { z } from 'zod';

import { WEEKDAYS, minutesOfClockTime, timeZoneProblem } from './active-hours.util';
import { hostPatternProblem } from './host-pattern.util';
import { pathPatternProblem } from './path-pattern.util';
import { PolicyValidationError } from './policy.errors';
import {
  ADDRESS_LENGTH_MAX,
  ATOMIC_AMOUNT_MAX,
  BUDGET_WINDOW_SECONDS_MAX,
  BUDGET_WINDOW_SECONDS_MIN,
  HTTP_METHOD_LENGTH_MAX,
  NETWORK_ID_LENGTH_MAX,
  POLICY_PATTERN_LENGTH_MAX,
  POLICY_RULES_PER_KIND_MAX,
  POLICY_RULE_ID_LENGTH_MAX,
  RATE_LIMIT_PAYMENTS_MAX,
  RATE_LIMIT_WINDOW_SECONDS_MAX,
  RATE_LIMIT_WINDOW_SECONDS_MIN,
} from './policy.limits';
import { parseDecimal } from './rational.util';

// CAIP-2: namespace of 3-8 lower-case characters, reference of 1-32 characters.
const CAIP2_PATTERN = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/;
const ATOMIC_PATTERN = /^(0|[1-9][0-9]*)$/;
const EVM_ADDRESS_PREFIX = '0x';
// Non-EVM addresses (base58, bech32, …) are case-sensitive alphanumerics; only their shape is checked.
const OTHER_ADDRESS_PATTERN = /^[A-Za-z0-9]+$/;
const RULE_ID_PATTERN = /^[a-z0-9]+(?:[_-][a-z0-9]+)*$/;
const METHOD_PATTERN = /^[A-Za-z]+$/;
const TIME_ZONE_LENGTH_MAX = 64;

/** A CAIP-2 network id such as `eip155:8453`. */
export const NetworkSchema = z
  .string()
  .max(NETWORK_ID_LENGTH_MAX)
  .regex(CAIP2_PATTERN, 'must be a CAIP-2 network id like "eip155:8453"');

/** A payee or asset address: EVM addresses must pass EIP-55 when mixed-case; others are alphanumeric. */
export const AddressSchema = z
  .string()
  .min(1)
  .max(ADDRESS_LENGTH_MAX)
  .superRefine((value, context) => {
    const problem = value.startsWith(EVM_ADDRESS_PREFIX)
      ? isAddress(value, { strict: true })
        ? undefined
        : 'must be a 20-byte hex address with a valid EIP-55 checksum (or all lower-case)'
      : OTHER_ADDRESS_PATTERN.test(value)
        ? undefined
        : 'must be an address of letters and digits';
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  });

/** A non-negative integer amount in atomic units, as a decimal string within uint256. */
export const AtomicAmountSchema = z
  .string()
  .max(78)
  .regex(ATOMIC_PATTERN, 'must be a non-negative integer in atomic units, as decimal digits')
  .refine(
    (value) => !ATOMIC_PATTERN.test(value) || BigInt(value) <= ATOMIC_AMOUNT_MAX,
    'must fit in 256 bits',
  );

/** A non-negative USD amount as a plain decimal string such as `"0.50"`. */
export const UsdAmountSchema = z.string().superRefine((value, context) => {
  try {
    parseDecimal({ value });
  } catch (error) {
    context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'invalid decimal' });
  }
});

/** An asset on a network, the pair that identifies money everywhere. */
export const AssetRefSchema = z.strictObject({ network: NetworkSchema, asset: AddressSchema });

const RuleIdSchema = z
  .string()
  .max(POLICY_RULE_ID_LENGTH_MAX)
  .regex(RULE_ID_PATTERN, 'must be lower-case letters and digits separated by "_" or "-"');

const HostPatternSchema = z
  .string()
  .max(POLICY_PATTERN_LENGTH_MAX)
  .superRefine((value, context) => addProblem(context, hostPatternProblem(value)));

const PathPatternSchema = z
  .string()
  .max(POLICY_PATTERN_LENGTH_MAX)
  .superRefine((value, context) => addProblem(context, pathPatternProblem(value)));

const MethodSchema = z
  .string()
  .max(HTTP_METHOD_LENGTH_MAX)
  .regex(METHOD_PATTERN, 'must be an HTTP method like "GET"');

function listSchema<Item extends z.ZodType>(item: Item) {
  // An empty allow list would be ambiguous ("allow nothing" or "no restriction"), so it is refused:
  // omit `allow` to allow everything, and deny explicitly to block.
  return z.strictObject({
    allow: z.array(item).min(1, 'omit "allow" to allow everything').max(POLICY_RULES_PER_KIND_MAX).optional(),
    deny: z.array(item).max(POLICY_RULES_PER_KIND_MAX).optional(),
  });
}

/** A budget window: rolling over the last `durationSeconds`, or the whole lifetime. */
export const BudgetWindowSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('rolling'),
    durationSeconds: z.int().min(BUDGET_WINDOW_SECONDS_MIN).max(BUDGET_WINDOW_SECONDS_MAX),
  }),
  z.strictObject({ kind: z.literal('lifetime') }),
]);

const BudgetSchema = z.strictObject({
  id: RuleIdSchema,
  asset: AssetRefSchema,
  limitAtomic: AtomicAmountSchema,
  window: BudgetWindowSchema,
});

const RateLimitSchema = z.strictObject({
  id: RuleIdSchema,
  maxPayments: z.int().min(0).max(RATE_LIMIT_PAYMENTS_MAX),
  windowSeconds: z.int().min(RATE_LIMIT_WINDOW_SECONDS_MIN).max(RATE_LIMIT_WINDOW_SECONDS_MAX),
});

const MaxPerPaymentSchema = z.strictObject({
  network: NetworkSchema,
  asset: AddressSchema,
  maxAtomic: AtomicAmountSchema,
});

const PriceCeilingSchema = z.strictObject({
  host: HostPatternSchema,
  path: PathPatternSchema.optional(),
  method: MethodSchema.optional(),
  network: NetworkSchema,
  asset: AddressSchema,
  maxAtomic: AtomicAmountSchema,
});

const ApprovalThresholdSchema = z.strictObject({
  perAsset: z
    .array(z.strictObject({ network: NetworkSchema, asset: AddressSchema, aboveAtomic: AtomicAmountSchema }))
    .max(POLICY_RULES_PER_KIND_MAX)
    .optional(),
  aboveUsd: UsdAmountSchema.optional(),
});

const ActiveHoursSchema = z
  .strictObject({
    timeZone: z
      .string()
      .max(TIME_ZONE_LENGTH_MAX)
      .superRefine((value, context) => addProblem(context, timeZoneProblem(value))),
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .max(WEEKDAYS.length)
      .refine((days) => new Set(days).size === days.length, 'must not repeat a day'),
    from: z
      .string()
      .refine((value) => isClockTime(value, false), 'must be a time "HH:MM" from 00:00 to 23:59'),
    to: z.string().refine((value) => isClockTime(value, true), 'must be a time "HH:MM" from 00:00 to 24:00'),
  })
  .superRefine((window, context) => {
    if (window.from === window.to) {
      context.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'must differ from "from"; use from "00:00" to "24:00" for the whole day',
      });
    }
  });

/**
 * A spending policy, at org level (applies to every agent, budgets shared by all of them) or at
 * agent level. Every rule is optional; a document with no rules allows everything. Amounts are
 * decimal strings so the document is plain JSON, stored and versioned as written.
 */
export const PolicyDocumentSchema = z
  .strictObject({
    maxPerPayment: z.array(MaxPerPaymentSchema).max(POLICY_RULES_PER_KIND_MAX).optional(),
    maxPerPaymentUsd: UsdAmountSchema.optional(),
    budgets: z.array(BudgetSchema).max(POLICY_RULES_PER_KIND_MAX).optional(),
    rateLimits: z.array(RateLimitSchema).max(POLICY_RULES_PER_KIND_MAX).optional(),
    networks: listSchema(NetworkSchema).optional(),
    assets: listSchema(AssetRefSchema).optional(),
    payees: listSchema(AddressSchema).optional(),
    hosts: listSchema(HostPatternSchema).optional(),
    paths: listSchema(PathPatternSchema).optional(),
    methods: listSchema(MethodSchema).optional(),
    priceCeilings: z.array(PriceCeilingSchema).max(POLICY_RULES_PER_KIND_MAX).optional(),
    approvalThreshold: ApprovalThresholdSchema.optional(),
    activeHours: z
      .array(ActiveHoursSchema)
      .min(1, 'omit "activeHours" to allow payments at any time')
      .max(POLICY_RULES_PER_KIND_MAX)
      .optional(),
  })
  .superRefine((document, context) => {
    // Ids key the ledger's usage counters, so two rules of one kind may never share one.
    for (const kind of ['budgets', 'rateLimits'] as const) {
      const seen = new Set<string>();
      for (const [index, rule] of (document[kind] ?? []).entries()) {
        if (seen.has(rule.id)) {
          context.addIssue({
            code: 'custom',
            path: [kind, index, 'id'],
            message: `duplicates id "${rule.id}"`,
          });
        }
        seen.add(rule.id);
      }
    }
  });

/** A validated policy document (see `PolicyDocumentSchema`). */
export type PolicyDocument = z.output<typeof PolicyDocumentSchema>;
/** A budget window as written in a policy. */
export type BudgetWindow = z.output<typeof BudgetWindowSchema>;
/** A network and asset pair. */
export type AssetRef = z.output<typeof AssetRefSchema>;
/** One budget rule. */
export type BudgetRule = z.output<typeof BudgetSchema>;
/** One rate-limit rule. */
export type RateLimitRule = z.output<typeof RateLimitSchema>;
/** One price ceiling rule. */
export type PriceCeilingRule = z.output<typeof PriceCeilingSchema>;

/**
 * Validates an untrusted policy document. Throws `PolicyValidationError` (`policy_invalid`) listing
 * every offending field with its dotted path.
 */
export function parsePolicyDocument(input: unknown): PolicyDocument {
  const result = PolicyDocumentSchema.safeParse(input);
  if (result.success) return result.data;
  throw new PolicyValidationError({
    issues: result.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
      message: issue.message,
    })),
    cause: result.error,
  });
}

function addProblem(context: z.RefinementCtx, problem: string | undefined): void {
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
}

function isClockTime(value: string, allowEndOfDay: boolean): boolean {
  const minutes = minutesOfClockTime(value);
  return minutes !== undefined && (allowEndOfDay || minutes < 24 * 60);
}
