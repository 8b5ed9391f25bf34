// A lenient walk over a features.json value that may break the schema, so the id and dep checks still run on what is there.

export interface ShapeDep {
  id: string;
  place: string;
}

export interface ShapeTask {
  id: string;
  place: string;
  deps: ShapeDep[];
}

export interface ShapeFeature {
  id: string | undefined;
  place: string;
}

export interface PlanShape {
  features: ShapeFeature[];
  tasks: ShapeTask[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Features and subtasks with string ids, in plan order; anything of the wrong type is skipped (the schema check names it). */
export function readShape(raw: unknown): PlanShape {
  const shape: PlanShape = { features: [], tasks: [] };
  if (!isRecord(raw) || !Array.isArray(raw["features"])) return shape;
  raw["features"].forEach((feature: unknown, f) => {
    if (!isRecord(feature)) return;
    const featurePlace = `features[${f}]`;
    shape.features.push({ id: typeof feature["id"] === "string" ? feature["id"] : undefined, place: featurePlace });
    const subtasks = feature["subtasks"];
    if (!Array.isArray(subtasks)) return;
    subtasks.forEach((subtask: unknown, s) => {
      if (!isRecord(subtask) || typeof subtask["id"] !== "string") return;
      const place = `${featurePlace}.subtasks[${s}]`;
      const rawDeps = subtask["deps"];
      const deps: ShapeDep[] = [];
      if (Array.isArray(rawDeps)) {
        rawDeps.forEach((dep: unknown, d) => {
          if (typeof dep === "string") deps.push({ id: dep, place: `${place}.deps[${d}]` });
        });
      }
      shape.tasks.push({ id: subtask["id"], place, deps });
    });
  });
  return shape;
}

/** The subtask ids of a features.json value, in plan order, whatever else is wrong with it. */
export function shapeTaskIds(raw: unknown): string[] {
  return readShape(raw).tasks.map((task) => task.id);
}
