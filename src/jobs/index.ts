// CSV jobs: one subtask per row, results checked against a JSON Schema, an output CSV and JSONL.
export { readCsvFile, parseCsv, sha256Of, CsvInputError, type CsvRow, type CsvTable } from "./csv-input.js";
export { compileTemplate, type Template } from "./template.js";
export { rowIds, jobRowIds, MAX_ID_BYTES, type RowIds, type RowIdChange, type RowIdOptions } from "./row-ids.js";
export { loadOutputSchema, flatProperties, type JsonSchema } from "./output-schema.js";
export { JobFile, JOB_NAME, jobFeatureId, jobFilePath, jobInputPath, listJobNames, openJobFile, readJob } from "./job-file.js";
export { setUpJob, defaultJobName, DEFAULT_MAX_RUNTIME, type JobRunOptions, type JobSetup } from "./create-job.js";
export { exportJob, outputCsv, outputJsonl, jobRowStates, jobTable, jsonlPathOf, FIXED_COLUMNS, type ExportSummary, type JobRowState } from "./export-job.js";
export { jobStatus, allJobStatuses, renderJobStatus, jobStatusLine, type JobStatus } from "./job-status.js";
export { runJob, type RunJobOptions, type RunJobResult } from "./run-job.js";
