// How `plan --budget B` shares B credits among the planned subtasks: half evenly (the floor every subtask gets),
// half by effort. Whole credits that add up to exactly B.

export interface BudgetShare {
  id: string;
  effort: number;
}

/**
 * With n subtasks: a floor of ⌊B / 2n⌋ each; the rest of B in proportion to effort (1–5; missing counts 3),
 * rounded down; the credits rounding left go one each to the highest efforts (plan order among equals).
 * B must be at least n: a subtask with a budget of 0 could never start.
 */
export function splitBudget(total: number, tasks: readonly BudgetShare[]): Map<string, number> {
  const budgets = new Map<string, number>();
  const n = tasks.length;
  if (n === 0) return budgets;
  const whole = Math.floor(total);
  const floor = Math.floor(whole / (2 * n));
  const rest = whole - floor * n;
  const efforts = tasks.map((task) => clampEffort(task.effort));
  const sum = efforts.reduce((a, b) => a + b, 0);
  let given = 0;
  tasks.forEach((task, i) => {
    const share = Math.floor((rest * (efforts[i] ?? 1)) / sum);
    budgets.set(task.id, floor + share);
    given += floor + share;
  });
  const byEffort = tasks.map((task, i) => ({ id: task.id, effort: efforts[i] ?? 1, i })).sort((a, b) => b.effort - a.effort || a.i - b.i);
  for (let k = 0; given < whole; k = (k + 1) % n, given++) {
    const id = byEffort[k]?.id ?? "";
    budgets.set(id, (budgets.get(id) ?? 0) + 1);
  }
  return budgets;
}

const DEFAULT_EFFORT = 3;

function clampEffort(effort: number): number {
  return Number.isInteger(effort) && effort >= 1 && effort <= 5 ? effort : DEFAULT_EFFORT;
}
