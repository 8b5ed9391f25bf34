// Plans shared by tests.

/** The minimal plan of DESIGN.md, which must always work as a person wrote it. */
export const MINIMAL_PLAN = {
  features: [
    {
      id: "auth",
      feature: "User authentication",
      subtasks: [
        { id: "auth-model", name: "Create User model", command: "node scripts/gen-model.js" },
        { id: "auth-login", name: "Add login endpoint", deps: ["auth-model"], acceptance: "POST /login returns a token", files: ["api/auth.ts"] },
      ],
    },
  ],
};
