import { MapReply, SetReply, SimpleString, type Reply } from '../../protocol/reply';
import type { ArgDoc, DataCommand } from './types';
import type { CommandDef } from './table';
import { redisKeySpecs } from './key-spec-reply';
import { commandTips } from './command-tips';

/**
 * COMMAND INFO and COMMAND DOCS replies generated from the command table, in
 * the shapes Redis 7 returns (redis-cli builds its hints from DOCS; cluster
 * clients read key positions from INFO).
 */

type AnyCommand = CommandDef;

function keySpecs(cmd: AnyCommand): Reply[] {
  const redis = redisKeySpecs(cmd.name);
  if (redis !== undefined) return redis;
  if (cmd.firstKey <= 0) return [];
  const write = cmd.flags.includes('write');
  const lastkey = cmd.lastKey < 0 ? cmd.lastKey : cmd.lastKey - cmd.firstKey;
  return [
    new MapReply([
      ['flags', new SetReply(write ? [new SimpleString('RW'), new SimpleString('UPDATE')] : [new SimpleString('RO'), new SimpleString('ACCESS')])],
      ['begin_search', new MapReply([['type', 'index'], ['spec', new MapReply([['index', cmd.firstKey]])]])],
      [
        'find_keys',
        new MapReply([
          ['type', 'range'],
          ['spec', new MapReply([['lastkey', lastkey], ['keystep', cmd.keyStep], ['limit', 0]])],
        ]),
      ],
    ]),
  ];
}

export function commandInfo(cmd: AnyCommand): Reply {
  // RESP3 types as Redis 7's addReplyCommandInfo: tips and key specs are sets, and so is a
  // missing subcommand list (an empty set), while a container's subcommands are an array.
  const subs: Reply = cmd.kind === 'container' ? [...cmd.subcommands.values()].map((s) => commandInfo(s)) : new SetReply([]);
  return [
    cmd.name,
    cmd.arity,
    new SetReply(cmd.flags.map((f) => new SimpleString(f))),
    cmd.firstKey,
    cmd.lastKey,
    cmd.keyStep,
    new SetReply(cmd.aclCategories.map((c) => new SimpleString(c))),
    new SetReply(commandTips(cmd.name).map((t) => Buffer.from(t))),
    new SetReply(keySpecs(cmd)),
    subs,
  ];
}

function argDoc(a: ArgDoc): Reply {
  const entries: Array<[Reply, Reply]> = [
    ['name', a.name],
    ['type', a.type],
  ];
  if (a.type === 'key') entries.push(['key_spec_index', 0]);
  if (a.type !== 'pure-token' && a.type !== 'oneof' && a.type !== 'block') entries.push(['display_text', a.name]);
  if (a.token !== undefined) entries.push(['token', a.token]);
  if (a.since !== undefined) entries.push(['since', a.since]);
  const flags: Reply[] = [];
  if (a.optional) flags.push(new SimpleString('optional'));
  if (a.multiple) flags.push(new SimpleString('multiple'));
  if (a.multipleToken) flags.push(new SimpleString('multiple_token'));
  if (flags.length) entries.push(['flags', new SetReply(flags)]);
  if (a.arguments) entries.push(['arguments', a.arguments.map((x) => argDoc(x))]);
  return new MapReply(entries);
}

export function commandDocs(cmd: AnyCommand): Reply {
  const d = cmd.doc;
  const entries: Array<[Reply, Reply]> = [
    ['summary', d.summary],
    ['since', d.since],
    ['group', d.group],
  ];
  if (d.complexity) entries.push(['complexity', d.complexity]);
  if (d.history) entries.push(['history', new SetReply(d.history.map(([v, what]): Reply => [v, what]))]);
  if (d.arguments && d.arguments.length) entries.push(['arguments', d.arguments.map((a) => argDoc(a))]);
  if (cmd.kind === 'container') {
    entries.push([
      'subcommands',
      new MapReply([...cmd.subcommands.values()].map((s): [Reply, Reply] => [s.name, commandDocs(s)])),
    ]);
  }
  return new MapReply(entries);
}

export type { DataCommand };
