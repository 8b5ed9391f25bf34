// Three-way merge of JSON values, field by field: a person's edit (mine) on top of what changed on disk meanwhile (theirs).

export interface MergeConflict {
  /** Where, e.g. `tasks.auth-model.status` or `features[id=auth].subtasks[id=auth-login].deps`; "(order)" for a reordered list. */
  path: string;
  /** `undefined` means the field is absent on that side. */
  base: unknown;
  mine: unknown;
  theirs: unknown;
}

export interface MergeResult {
  /** The merged value; when there are conflicts, each conflicting place holds the base value and nothing should be written. */
  value: unknown;
  conflicts: MergeConflict[];
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Structural equality of JSON values; object key order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keysA = Object.keys(a).filter((key) => a[key] !== undefined);
    const keysB = Object.keys(b).filter((key) => b[key] !== undefined);
    return keysA.length === keysB.length && keysA.every((key) => jsonEqual(a[key], b[key]));
  }
  return false;
}

type Id = string | number;

/** The ids of an array whose items are all objects with a unique string or number `id`; undefined otherwise. */
function idsOf(value: unknown): Id[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const ids: Id[] = [];
  const seen = new Set<Id>();
  for (const item of value) {
    if (!isObject(item)) return undefined;
    const id = item["id"];
    if ((typeof id !== "string" && typeof id !== "number") || seen.has(id)) return undefined;
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

function keyPath(parent: string, key: string): string {
  const plainKey = /^[A-Za-z0-9_$-]+$/.test(key) ? key : JSON.stringify(key);
  return parent ? `${parent}.${plainKey}` : plainKey;
}

function idPath(parent: string, id: Id): string {
  return `${parent || "(top level)"}[id=${String(id)}]`;
}

function byId(items: unknown[]): Map<Id, JsonObject> {
  return new Map(items.map((item) => [(item as JsonObject)["id"] as Id, item as JsonObject]));
}

/** The ids of `list` that are also in `keep`, in `list`'s order. */
function restricted(list: Id[], keep: Set<Id>): Id[] {
  return list.filter((id) => keep.has(id));
}

function sameOrder(a: Id[], b: Id[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

class Merger {
  readonly conflicts: MergeConflict[] = [];

  merge(base: unknown, mine: unknown, theirs: unknown, path: string): unknown {
    if (jsonEqual(mine, theirs)) return mine;
    if (jsonEqual(base, mine)) return theirs;
    if (jsonEqual(base, theirs)) return mine;
    // Both sides changed it, differently: look inside when both are containers of the same kind.
    if (isObject(mine) && isObject(theirs) && (base === undefined || isObject(base))) {
      return this.mergeObjects(base ?? {}, mine, theirs, path);
    }
    const mineIds = idsOf(mine);
    const theirIds = idsOf(theirs);
    const baseIds = base === undefined ? [] : idsOf(base);
    if (mineIds && theirIds && baseIds) {
      return this.mergeById((base ?? []) as unknown[], baseIds, mine as unknown[], mineIds, theirs as unknown[], theirIds, path);
    }
    this.conflicts.push({ path: path || "(top level)", base, mine, theirs });
    return base;
  }

  private mergeObjects(base: JsonObject, mine: JsonObject, theirs: JsonObject, path: string): JsonObject {
    // Keys are ids too (tasks, workers): looked up as own keys only, written to an object without a prototype,
    // so that "constructor" or "__proto__" are keys like any other.
    const out = Object.create(null) as JsonObject;
    const own = (object: JsonObject, key: string): unknown => (Object.hasOwn(object, key) ? object[key] : undefined);
    const keys = [...new Set([...Object.keys(mine), ...Object.keys(theirs), ...Object.keys(base)])];
    for (const key of keys) {
      const value = this.merge(own(base, key), own(mine, key), own(theirs, key), keyPath(path, key));
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  private mergeById(
    base: unknown[],
    baseIds: Id[],
    mine: unknown[],
    mineIds: Id[],
    theirs: unknown[],
    theirIds: Id[],
    path: string,
  ): unknown[] {
    const baseMap = byId(base);
    const mineMap = byId(mine);
    const theirMap = byId(theirs);

    // Which items survive, and with what content.
    const merged = new Map<Id, unknown>();
    for (const id of new Set([...baseIds, ...mineIds, ...theirIds])) {
      const value = this.merge(baseMap.get(id), mineMap.get(id), theirMap.get(id), idPath(path, id));
      if (value !== undefined) merged.set(id, value);
    }

    // The order: a side that reordered the items it kept wins; both reordering differently is a conflict.
    const baseSet = new Set(baseIds);
    const mineReordered = !sameOrder(restricted(mineIds, baseSet), restricted(baseIds, new Set(mineIds)));
    const theirsReordered = !sameOrder(restricted(theirIds, baseSet), restricted(baseIds, new Set(theirIds)));
    if (mineReordered && theirsReordered) {
      const common = new Set(baseIds.filter((id) => mineMap.has(id) && theirMap.has(id)));
      if (!sameOrder(restricted(mineIds, common), restricted(theirIds, common))) {
        this.conflicts.push({ path: `${path || "(top level)"} (order)`, base: baseIds, mine: mineIds, theirs: theirIds });
      }
    }
    const [primary, secondary] = mineReordered ? [mineIds, theirIds] : [theirIds, mineIds];
    const order = primary.filter((id) => merged.has(id));
    const placed = new Set(order);
    const secondarySet = new Set(secondary);
    // Items only the other side has (its additions) go right after the item they follow there.
    secondary.forEach((id, index) => {
      if (placed.has(id) || !merged.has(id)) return;
      let at = 0;
      for (let back = index - 1; back >= 0; back--) {
        const before = order.indexOf(secondary[back] as Id);
        if (before >= 0) {
          at = before + 1;
          break;
        }
      }
      // Items the primary side added at the same spot came first (they are on disk already): go after them.
      while (at < order.length && !baseSet.has(order[at] as Id) && !secondarySet.has(order[at] as Id)) at++;
      order.splice(at, 0, id);
      placed.add(id);
    });
    // Anything left (cannot happen with consistent inputs, but never drop an item silently).
    for (const id of merged.keys()) if (!placed.has(id)) order.push(id);
    return order.map((id) => merged.get(id));
  }
}

/**
 * Merges two changes of the same JSON value. base: the value both started from; mine: the person's edit;
 * theirs: what is there now. Objects merge key by key, arrays whose items all have an `id` merge item by
 * item (order kept), other values whole. A place both sides changed differently is a conflict, never a guess.
 */
export function threeWayMerge(base: unknown, mine: unknown, theirs: unknown): MergeResult {
  const merger = new Merger();
  const value = merger.merge(base, mine, theirs, "");
  return { value, conflicts: merger.conflicts };
}

/** One line per conflict, for people: `path: was X; your edit: Y; on disk now: Z`. */
export function formatConflicts(conflicts: readonly MergeConflict[]): string[] {
  const show = (value: unknown): string => {
    if (value === undefined) return "(absent)";
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  };
  return conflicts.map(
    (c) => `${c.path}: was ${show(c.base)}; your edit: ${show(c.mine)}; on disk now: ${show(c.theirs)}`,
  );
}
