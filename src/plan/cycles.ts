// Finds dependency cycles, each named once as "a -> b -> c -> a" (an arrow reads "depends on").

/**
 * Depth-first search over `order` (plan order), following deps in the order they are listed.
 * Each back edge closes one cycle; cycles are rotated to start at their earliest task in plan
 * order, so the same cycle reached from two places is reported once. Iterative, so a long
 * dependency chain cannot overflow the stack.
 */
export function findCycles(order: readonly string[], depsOf: ReadonlyMap<string, readonly string[]>): string[][] {
  const rank = new Map(order.map((id, index) => [id, index]));
  const state = new Map<string, "open" | "done">();
  const seen = new Set<string>();
  const cycles: string[][] = [];
  for (const root of order) {
    if (state.has(root)) continue;
    const stack: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    const path: string[] = [root];
    state.set(root, "open");
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (!top) break;
      const deps = depsOf.get(top.id) ?? [];
      if (top.next >= deps.length) {
        state.set(top.id, "done");
        stack.pop();
        path.pop();
        continue;
      }
      const dep = deps[top.next++];
      if (dep === undefined || !rank.has(dep)) continue;
      const depState = state.get(dep);
      if (depState === "open") {
        const cycle = rotate(path.slice(path.indexOf(dep)), rank);
        const key = cycle.join("\u0000");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (depState === undefined) {
        state.set(dep, "open");
        stack.push({ id: dep, next: 0 });
        path.push(dep);
      }
    }
  }
  return cycles;
}

function rotate(cycle: string[], rank: ReadonlyMap<string, number>): string[] {
  let start = 0;
  cycle.forEach((id, index) => {
    if ((rank.get(id) ?? 0) < (rank.get(cycle[start] ?? "") ?? 0)) start = index;
  });
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}

export function nameCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0] ?? ""].join(" -> ");
}
