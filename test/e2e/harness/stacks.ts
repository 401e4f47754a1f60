import { metalbusStack } from './metalbus-stack.js';
import { startSelftestStack } from './selftest-stack.js';
import type { Stack, StartStack } from './stack.js';

/** Every stack a scenario can boot against, with default options (metalbusStack() takes options too). */
export const STACKS = {
  selftest: startSelftestStack,
  metalbus: metalbusStack(),
} as const satisfies Record<string, StartStack<Stack>>;

export type StackName = keyof typeof STACKS;
