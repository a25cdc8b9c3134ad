/**
 * The function libraries (FUNCTION LOAD and friends) as replicated state,
 * like the script cache: changed only by logged writes at apply time, kept
 * in the durable copy (records [FUNCTION_DB][library name]) and in
 * snapshots. FLUSHALL leaves them alone, as in Redis.
 *
 * Library names are case-sensitive; function names are unique across
 * libraries without regard to case (Redis's dictionaries do the same).
 */
import { FUNCTION_DB, keyRecordKey } from '../keyspace/records';
import type { FunctionInfo } from './functions-lua';

export interface Library {
  name: string;
  /** The code as loaded, metadata line included (FUNCTION LIST WITHCODE, DUMP). */
  code: Buffer;
  functions: FunctionInfo[];
}

export class FunctionTable {
  private readonly libraries = new Map<string, Library>();
  /** Lower-cased function name -> its library. */
  private readonly byFunction = new Map<string, Library>();
  private readonly changed = new Set<string>();

  /** `tracking` says whether changes are recorded for the durable copy (the keyspace's switch). */
  constructor(private readonly tracking: () => boolean) {}

  get libraryCount(): number {
    return this.libraries.size;
  }

  get functionCount(): number {
    return this.byFunction.size;
  }

  library(name: string): Library | undefined {
    return this.libraries.get(name);
  }

  list(): Library[] {
    return [...this.libraries.values()];
  }

  /** The library holding a function, and its registered name. */
  findFunction(name: string): { library: Library; info: FunctionInfo } | undefined {
    const library = this.byFunction.get(name.toLowerCase());
    if (library === undefined) return undefined;
    const lower = name.toLowerCase();
    const info = library.functions.find((f) => f.name.toLowerCase() === lower);
    return info === undefined ? undefined : { library, info };
  }

  /** A function of `lib` whose name another library (not `except`) already holds. */
  collision(lib: Library, except?: string): string | undefined {
    for (const f of lib.functions) {
      const owner = this.byFunction.get(f.name.toLowerCase());
      if (owner !== undefined && owner.name !== except) return f.name;
    }
    return undefined;
  }

  /** Adds or replaces a library (the caller checked collisions). */
  put(lib: Library): void {
    this.unlink(lib.name);
    this.libraries.set(lib.name, lib);
    for (const f of lib.functions) this.byFunction.set(f.name.toLowerCase(), lib);
    this.note(lib.name);
  }

  delete(name: string): boolean {
    if (!this.unlink(name)) return false;
    this.note(name);
    return true;
  }

  /** FUNCTION FLUSH (and RESTORE FLUSH). */
  flush(): void {
    for (const name of [...this.libraries.keys()]) this.delete(name);
  }

  private unlink(name: string): boolean {
    const old = this.libraries.get(name);
    if (old === undefined) return false;
    for (const f of old.functions) this.byFunction.delete(f.name.toLowerCase());
    this.libraries.delete(name);
    return true;
  }

  private note(name: string): void {
    if (this.tracking()) this.changed.add(name);
  }

  drainChanged(): string[] {
    const out = [...this.changed];
    this.changed.clear();
    return out;
  }

  clear(): void {
    this.libraries.clear();
    this.byFunction.clear();
    this.changed.clear();
  }

  /** Record: key [FUNCTION_DB][name], value [u32 code length][code][JSON of the functions]; null = deleted. */
  encodeRecord(name: string): { key: Buffer; value: Buffer } | null {
    const lib = this.libraries.get(name);
    if (lib === undefined) return null;
    const meta = Buffer.from(JSON.stringify(lib.functions), 'utf8');
    const value = Buffer.allocUnsafe(4 + lib.code.length + meta.length);
    value.writeUInt32BE(lib.code.length, 0);
    lib.code.copy(value, 4);
    meta.copy(value, 4 + lib.code.length);
    return { key: keyRecordKey(FUNCTION_DB, name), value };
  }

  /** Restores a record written by encodeRecord (key starts at its FUNCTION_DB byte). Copies the bytes. */
  applyRecord(key: Buffer, value: Buffer): void {
    if (value.length < 4) throw new RangeError('function record truncated');
    const n = value.readUInt32BE(0);
    if (value.length < 4 + n) throw new RangeError('function record truncated');
    const functions = JSON.parse(value.toString('utf8', 4 + n)) as FunctionInfo[];
    const lib: Library = { name: key.toString('latin1', 1), code: Buffer.from(value.subarray(4, 4 + n)), functions };
    this.unlink(lib.name);
    this.libraries.set(lib.name, lib);
    for (const f of functions) this.byFunction.set(f.name.toLowerCase(), lib);
  }
}
