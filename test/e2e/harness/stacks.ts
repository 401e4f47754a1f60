import { startSelftestStack } from './selftest-stack.js';
import type { Stack, StartStack } from './stack.js';

/** Every stack a scenario can boot against. The metalbus stack is added here as one more line. */
export const STACKS = {
  selftest: startSelftestStack,
} as const satisfies Record<string, StartStack<Stack>>;

export type StackName = keyof typeof STACKS;
