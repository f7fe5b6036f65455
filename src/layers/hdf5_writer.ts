import { ConvlensError, describeValue } from '../errors.js';

// A minimal HDF5 writer (HDF5 File Format Specification, version 0 superblock): just what Keras'
// files need, laid out as libhdf5 lays out a file h5py makes with its default settings, which every
// HDF5 reader reads (libhdf5, h5py, jsfive):
// - superblock version 0, 8-byte addresses and lengths;
// - version 1 object headers;
// - groups as symbol tables: a local heap of the member names, a version 1 B-tree of one leaf
//   node, symbol table nodes of up to 8 entries (the default K's: 4 for a leaf, 16 for the tree);
// - datasets of little-endian IEEE float32, contiguous;
// - attributes (version 1 messages): fixed-length strings (numpy's `S` dtype, as a scalar or a
//   1-D array) and variable-length UTF-8 strings (h5py's `str`), whose bytes go to a global heap,
//   so their length has no limit; any other attribute message must fit in 64 KB.
// Pure TypeScript, no Node API: it runs in browsers.

/**
 * An attribute's value: `text`, a variable-length UTF-8 string (h5py writes a Python str so; any
 * length); or `bytes`, fixed-length strings padded with NULs (numpy's `S` dtype, h5py's bytes), a
 * 1-D array of them or, with `scalar`, one; each `width` bytes (default: the longest's).
 */
export type Hdf5Attribute =
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; strings: readonly string[]; scalar?: boolean; width?: number };

/** A float32 dataset: `values` in row-major order. */
export interface Hdf5Dataset {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The most an attribute message may take: libhdf5 stores a message's size in 16 bits. */
export const HDF5_MESSAGE_LIMIT = 65_528;
/** A group's members: 32 symbol table nodes (the tree's 2K children) of 8 entries (the nodes' 2K). */
const GROUP_LIMIT = 256;
const LEAF_K = 4;
const TREE_K = 16;
const ENTRY_SIZE = 40;
const SNOD_SIZE = 8 + 2 * LEAF_K * ENTRY_SIZE;
const TREE_SIZE = 24 + 2 * TREE_K * 8 + (2 * TREE_K + 1) * 8;
const SUPERBLOCK_SIZE = 96;
/** libhdf5's smallest global heap collection. */
const GLOBAL_HEAP_MIN = 4096;
/** A local heap free list's end (libhdf5's H5HL_FREE_NULL). */
const FREE_LIST_END = 1;
const utf8 = new TextEncoder();

/** A group: attributes, and members (groups and datasets) by name. */
export class Hdf5Group {
  readonly attributes = new Map<string, Hdf5Attribute>();
  readonly members = new Map<string, Hdf5Group | Hdf5Dataset>();

  /** The group at `path` below this one ('a/b/c'), made, with the groups on the way, where missing. */
  group(path: string): Hdf5Group {
    let group: Hdf5Group = this;
    for (const name of pathNames(path)) {
      const member = group.members.get(name) ?? new Hdf5Group();
      if (!(member instanceof Hdf5Group)) throw new ConvlensError(`hdf5: '${path}' passes through dataset '${name}'`);
      group.members.set(name, member);
      group = member;
    }
    return group;
  }

  /** Adds a float32 dataset at `path` ('kernel:0', 'conv2d/kernel:0': h5py makes the groups on the way). */
  dataset(path: string, shape: readonly number[], values: Float32Array): void {
    const names = pathNames(path);
    const name = names.pop()!;
    const parent = this.group(names.join('/'));
    if (parent.members.has(name)) throw new ConvlensError(`hdf5: '${path}' is given twice`);
    // Keras' weights are float32, the one type this writer stores
    if (!(values instanceof Float32Array)) {
      throw new ConvlensError(`hdf5: dataset '${path}' holds ${describeValue(values)}; only float32 values (a Float32Array) are written`);
    }
    const size = shape.reduce((n, d) => n * d, 1);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || size !== values.length) {
      throw new ConvlensError(`hdf5: dataset '${path}' has shape [${shape.join(', ')}] but ${values.length} values`);
    }
    parent.members.set(name, { shape: [...shape], values });
  }
}

function pathNames(path: string): string[] {
  const names = path.split('/').filter((n) => n !== '');
  if (names.some((n) => n === '.' || n.includes('\0'))) throw new ConvlensError(`hdf5: '${path}' is not a valid HDF5 path`);
  return names;
}

/** Little-endian fields, as the format stores every number. */
class Fields {
  readonly bytes: number[] = [];
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: number): this {
    return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32));
  }
  /** The undefined address: all bits set. */
  undefinedAddress(): this {
    for (let i = 0; i < 8; i++) this.u8(0xff);
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.bytes.push(bytes[i]);
    return this;
  }
  zeros(count: number): this {
    for (let i = 0; i < count; i++) this.bytes.push(0);
    return this;
  }
  /** Zeros up to the next multiple of `size` bytes. */
  padTo(size: number): this {
    return this.zeros((size - (this.bytes.length % size)) % size);
  }
  get length(): number {
    return this.bytes.length;
  }
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/** The file as it grows: every object starts at a multiple of 8 bytes. */
class FileBytes {
  private buffer = new Uint8Array(1 << 16);
  length = 0;

  /** Appends `bytes` at the next multiple of 8 and returns their address. */
  append(bytes: ArrayLike<number>): number {
    const address = pad8(this.length);
    this.grow(address + bytes.length);
    this.buffer.set(bytes, address);
    this.length = address + bytes.length;
    return address;
  }

  /** Appends float32 values, little-endian whatever the platform's order. */
  appendFloats(values: Float32Array): number {
    const address = pad8(this.length);
    this.grow(address + values.length * 4);
    const view = new DataView(this.buffer.buffer, address, values.length * 4);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    this.length = address + values.length * 4;
    return address;
  }

  patch(address: number, bytes: ArrayLike<number>): void {
    this.buffer.set(bytes, address);
  }

  result(): Uint8Array {
    this.grow(pad8(this.length));
    return this.buffer.slice(0, pad8(this.length));
  }

  private grow(size: number): void {
    if (size <= this.buffer.length) return;
    const bigger = new Uint8Array(Math.max(size, this.buffer.length * 2));
    bigger.set(this.buffer.subarray(0, this.length));
    this.buffer = bigger;
  }
}

/** Where a written object is: its object header, and a group's B-tree and local heap. */
interface Written {
  header: number;
  tree?: number;
  heap?: number;
}

interface Message {
  type: number;
  data: Fields;
  /** Bit 0: the message is constant (a dataset's datatype). */
  flags?: number;
}

const DATASPACE = 0x0001;
const DATATYPE = 0x0003;
const FILL_VALUE = 0x0005;
const LAYOUT = 0x0008;
const ATTRIBUTE = 0x000c;
const SYMBOL_TABLE = 0x0011;

/** Version 1 dataspace: a scalar (rank 0) or a simple dataspace whose maximum size is its size. */
function dataspace(shape: readonly number[]): Fields {
  const fields = new Fields()
    .u8(1)
    .u8(shape.length)
    .u8(shape.length > 0 ? 1 : 0)
    .zeros(5);
  for (const d of shape) fields.u64(d);
  for (const d of shape) fields.u64(d);
  return fields;
}

/** IEEE float32, little-endian: sign at bit 31, 8 exponent bits at 23 (bias 127), 23 mantissa bits. */
function float32Type(): Fields {
  return new Fields().u8(0x11).u8(0x20).u8(31).u8(0).u32(4).u16(0).u16(32).u8(23).u8(8).u8(0).u8(23).u32(127);
}

/** Fixed-length strings of `size` bytes, NUL-padded, ASCII as h5py marks numpy's `S` dtype. */
function fixedStringType(size: number): Fields {
  return new Fields().u8(0x13).u8(0x01).u8(0).u8(0).u32(size);
}

/** A variable-length UTF-8 string (NUL-terminated padding): 16 bytes, its length and its global heap ID; a base type of unsigned bytes. */
function textType(): Fields {
  return new Fields().u8(0x19).u8(0x01).u8(0x01).u8(0).u32(16).u8(0x10).u8(0).u8(0).u8(0).u32(1).u16(0).u16(8);
}

/** Where each text attribute's bytes are in the global heap collection. */
interface TextPlace {
  collection: number;
  index: Map<string, number>;
}

function attributeMessage(name: string, attribute: Hdf5Attribute, texts: TextPlace | undefined): Message {
  const nameBytes = utf8.encode(name);
  let type: Fields;
  let space: Fields;
  const data = new Fields();
  if (attribute.kind === 'text') {
    const bytes = utf8.encode(attribute.text);
    type = textType();
    space = dataspace([]);
    data.u32(bytes.length).u64(texts!.collection).u32(texts!.index.get(attribute.text)!);
  } else {
    const encoded = attribute.strings.map((s) => utf8.encode(s));
    const size = Math.max(1, attribute.width ?? 0, ...encoded.map((b) => b.length));
    if (attribute.scalar && encoded.length !== 1) throw new ConvlensError(`hdf5: scalar attribute '${name}' needs one string`);
    type = fixedStringType(size);
    space = dataspace(attribute.scalar ? [] : [encoded.length]);
    for (const bytes of encoded) data.raw(bytes).zeros(size - bytes.length);
  }
  const message = new Fields()
    .u8(1)
    .u8(0)
    .u16(nameBytes.length + 1)
    .u16(type.length)
    .u16(space.length);
  message.raw(nameBytes).u8(0).padTo(8).raw(type.bytes).padTo(8).raw(space.bytes).padTo(8).raw(data.bytes).padTo(8);
  if (message.length > HDF5_MESSAGE_LIMIT) {
    throw new ConvlensError(
      `hdf5: attribute '${name}' takes ${message.length} bytes, more than the ${HDF5_MESSAGE_LIMIT} an HDF5 object header message holds (split it, as Keras splits a long list of names)`,
    );
  }
  return { type: ATTRIBUTE, data: message };
}

/** A version 1 object header holding `messages`, each padded to 8 bytes. */
function objectHeader(messages: Message[]): Fields {
  const body = new Fields();
  for (const { type, data, flags = 0 } of messages) {
    body.u16(type).u16(pad8(data.length)).u8(flags).zeros(3).raw(data.bytes).padTo(8);
  }
  return new Fields().u8(1).u8(0).u16(messages.length).u32(1).u32(body.length).zeros(4).raw(body.bytes);
}

function attributeMessages(group: { attributes?: Map<string, Hdf5Attribute> }, texts: TextPlace | undefined): Message[] {
  return [...(group.attributes ?? [])].map(([name, attribute]) => attributeMessage(name, attribute, texts));
}

function writeDataset(file: FileBytes, dataset: Hdf5Dataset): Written {
  const size = dataset.values.length * 4;
  // an empty dataset has no storage: libhdf5 leaves its address undefined
  const address = size > 0 ? file.appendFloats(dataset.values) : undefined;
  const layout = new Fields().u8(3).u8(1);
  if (address === undefined) layout.undefinedAddress();
  else layout.u64(address);
  layout.u64(size);
  const header = objectHeader([
    { type: DATASPACE, data: dataspace(dataset.shape) },
    { type: DATATYPE, data: float32Type(), flags: 1 },
    // fill value version 2: allocated late, written if set, the default value (as libhdf5 writes)
    { type: FILL_VALUE, data: new Fields().u8(2).u8(2).u8(2).u8(1).u32(0) },
    { type: LAYOUT, data: layout },
  ]);
  return { header: file.append(header.bytes) };
}

/** Byte order of the UTF-8 names, as libhdf5 compares them (strcmp) when it looks a name up in the B-tree. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** A local heap of the names: the empty name at 0, each name NUL-terminated in steps of 8 bytes, then one free block (as libhdf5 leaves). */
function writeLocalHeap(file: FileBytes, names: Uint8Array[]): { heap: number; nameOffsets: number[] } {
  const data = new Fields().zeros(8);
  const nameOffsets = names.map((name) => {
    const offset = data.length;
    data.raw(name).u8(0).padTo(8);
    return offset;
  });
  const freeBlock = data.length;
  data.u64(FREE_LIST_END).u64(16);
  const heap = pad8(file.length);
  const header = new Fields()
    .raw(utf8.encode('HEAP'))
    .u8(0)
    .zeros(3)
    .u64(data.length)
    .u64(freeBlock)
    .u64(heap + 32);
  file.append([...header.bytes, ...data.bytes]);
  return { heap, nameOffsets };
}

/**
 * The members' symbol table nodes (8 entries each, in name order) and the one B-tree leaf that
 * points to them: key 0 is the empty name, key i + 1 the last name of node i.
 */
function writeTree(file: FileBytes, entries: { nameOffset: number; written: Written }[]): number {
  const nodes: { address: number; lastName: number }[] = [];
  for (let start = 0; start < entries.length; start += 2 * LEAF_K) {
    const inNode = entries.slice(start, start + 2 * LEAF_K);
    const node = new Fields().raw(utf8.encode('SNOD')).u8(1).u8(0).u16(inNode.length);
    for (const { nameOffset, written } of inNode) symbolTableEntry(node, nameOffset, written);
    node.zeros(SNOD_SIZE - node.length);
    nodes.push({ address: file.append(node.bytes), lastName: inNode[inNode.length - 1].nameOffset });
  }
  const tree = new Fields().raw(utf8.encode('TREE')).u8(0).u8(0).u16(nodes.length).undefinedAddress().undefinedAddress().u64(0);
  for (const { address, lastName } of nodes) tree.u64(address).u64(lastName);
  tree.zeros(TREE_SIZE - tree.length);
  return file.append(tree.bytes);
}

/** Writes the members, then the group's local heap, symbol table nodes, B-tree and object header. */
function writeGroup(file: FileBytes, group: Hdf5Group, texts: TextPlace | undefined, where: string): Written {
  if (group.members.size > GROUP_LIMIT) {
    throw new ConvlensError(
      `hdf5: group '${where || '/'}' has ${group.members.size} members; this writer puts at most ${GROUP_LIMIT} in a group`,
    );
  }
  const members = [...group.members]
    .map(([key, member]) => ({ key, name: utf8.encode(key), member }))
    .sort((a, b) => compareBytes(a.name, b.name))
    .map(({ key, name, member }) => ({
      name,
      written: member instanceof Hdf5Group ? writeGroup(file, member, texts, `${where}/${key}`) : writeDataset(file, member),
    }));
  const { heap, nameOffsets } = writeLocalHeap(
    file,
    members.map((m) => m.name),
  );
  const treeAddress = writeTree(
    file,
    members.map((m, i) => ({ nameOffset: nameOffsets[i], written: m.written })),
  );
  const symbolTable = new Fields().u64(treeAddress).u64(heap);
  const header = objectHeader([{ type: SYMBOL_TABLE, data: symbolTable }, ...attributeMessages(group, texts)]);
  return { header: file.append(header.bytes), tree: treeAddress, heap };
}

/** A symbol table entry: a group's caches its B-tree and local heap (cache type 1), as libhdf5 writes. */
function symbolTableEntry(fields: Fields, nameOffset: number, { header, tree, heap }: Written): void {
  fields.u64(nameOffset).u64(header);
  if (tree === undefined || heap === undefined) fields.u32(0).u32(0).zeros(16);
  else fields.u32(1).u32(0).u64(tree).u64(heap);
}

/** Every text attribute's string, once each, in the order met. */
function textsOf(group: Hdf5Group, found = new Set<string>()): Set<string> {
  for (const attribute of group.attributes.values()) if (attribute.kind === 'text') found.add(attribute.text);
  for (const member of group.members.values()) if (member instanceof Hdf5Group) textsOf(member, found);
  return found;
}

/** One global heap collection holding the texts as objects 1, 2, ..., then the free space (object 0). */
function writeTexts(file: FileBytes, root: Hdf5Group): TextPlace | undefined {
  const texts = [...textsOf(root)];
  if (texts.length === 0) return undefined;
  if (texts.length > 0xffff) throw new ConvlensError(`hdf5: ${texts.length} text attributes, more than a global heap collection holds`);
  const objects = new Fields();
  const index = new Map<string, number>();
  texts.forEach((text, i) => {
    const bytes = utf8.encode(text);
    index.set(text, i + 1);
    objects
      .u16(i + 1)
      .u16(0)
      .u32(0)
      .u64(bytes.length)
      .raw(bytes)
      .padTo(8);
  });
  const size = Math.max(GLOBAL_HEAP_MIN, 16 + objects.length + 16);
  // the free space object's size counts its own 16-byte header
  objects
    .u16(0)
    .u16(0)
    .u32(0)
    .u64(size - 16 - objects.length);
  const collection = new Fields().raw(utf8.encode('GCOL')).u8(1).zeros(3).u64(size).raw(objects.bytes);
  collection.zeros(size - collection.length);
  return { collection: file.append(collection.bytes), index };
}

/** The HDF5 file of `root` and everything below it. */
export function hdf5Bytes(root: Hdf5Group): Uint8Array {
  const file = new FileBytes();
  file.append(new Array(SUPERBLOCK_SIZE).fill(0));
  const texts = writeTexts(file, root);
  const written = writeGroup(file, root, texts, '');
  const end = pad8(file.length);
  const superblock = new Fields()
    .raw([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])
    // versions: superblock, free space, root symbol table entry, (reserved), shared header; 8-byte offsets and lengths
    .raw([0, 0, 0, 0, 0, 8, 8, 0])
    .u16(LEAF_K)
    .u16(TREE_K)
    .u32(0)
    .u64(0) // base address
    .undefinedAddress() // no free-space info
    .u64(end)
    .undefinedAddress(); // no driver information
  symbolTableEntry(superblock, 0, written);
  file.patch(0, superblock.bytes);
  return file.result();
}
