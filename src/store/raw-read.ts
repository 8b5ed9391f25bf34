// Reading one of our JSON files as raw text with its identity (inode, size, mtime, mode): what the locked
// read-modify-write of json-file.ts compares before it replaces the file. A missing file reads as "no text".
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { errnoCode } from "../errors.js";

export interface RawSnapshot {
  text: string | null;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  /** Permission bits of the file we read, kept by our replacement. */
  mode: number;
}

/** What a read of a missing file gives. */
export const MISSING: RawSnapshot = { text: null, ino: 0n, size: 0n, mtimeNs: 0n, mode: 0o666 };

export async function readRaw(file: string): Promise<RawSnapshot> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return MISSING;
    throw error;
  }
  try {
    const info = await handle.stat({ bigint: true });
    const text = await handle.readFile("utf8");
    return { text, ino: info.ino, size: info.size, mtimeNs: info.mtimeNs, mode: Number(info.mode & 0o7777n) };
  } finally {
    await handle.close();
  }
}

/**
 * The same as readRaw, synchronously: under the lock every thread-pool round trip is time the lock is
 * held, so the locked path reads, writes and fsyncs its temp file without leaving the main thread.
 * With `maxBytes`, a larger file is not read (undefined).
 */
export function readRawSync(file: string): RawSnapshot;
export function readRawSync(file: string, maxBytes: number): RawSnapshot | undefined;
export function readRawSync(file: string, maxBytes?: number): RawSnapshot | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return MISSING;
    throw error;
  }
  try {
    const info = fstatSync(fd, { bigint: true });
    if (maxBytes !== undefined && info.size > BigInt(maxBytes)) return undefined;
    const text = readFileSync(fd, "utf8");
    return { text, ino: info.ino, size: info.size, mtimeNs: info.mtimeNs, mode: Number(info.mode & 0o7777n) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Outside the lock, files up to this size are read synchronously (an async read is four thread-pool round trips,
 * which cost more than reading a small file), larger ones asynchronously: the lead reads the plan every tick,
 * and read synchronously a 1.8 MB features.json left it no idle time to collect garbage in (peak memory on
 * 10,000 subtasks 140 -> 160-195 MB).
 */
const SYNC_READ_MAX_BYTES = 256 * 1024;

/** readRaw for the unlocked reads: synchronous for small files (see SYNC_READ_MAX_BYTES). */
export async function readUnlocked(file: string): Promise<RawSnapshot> {
  return readRawSync(file, SYNC_READ_MAX_BYTES) ?? (await readRaw(file));
}
