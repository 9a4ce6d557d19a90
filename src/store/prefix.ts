import {
  IdentifierNode,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type TableNode,
  type UnknownRow,
} from "kysely";

class PrefixTransformer extends OperationNodeTransformer {
  constructor(
    private readonly prefix: string,
    /** Table aliases of the query being transformed ("u" in `user as u`): references to them stay as written. */
    private readonly aliases: ReadonlySet<string>,
  ) {
    super();
  }

  protected override transformTable(node: TableNode): TableNode {
    const transformed = super.transformTable(node);
    const identifier = transformed.table.identifier;
    if (this.aliases.has(identifier.name)) return transformed;
    return {
      ...transformed,
      table: { ...transformed.table, identifier: IdentifierNode.create(this.prefix + identifier.name) },
    };
  }
}

/** Prefixes every table name in every query, so queries are written with the schema's plain names. */
export class TablePrefixPlugin implements KyselyPlugin {
  private readonly plain: PrefixTransformer;

  constructor(private readonly prefix: string) {
    this.plain = new PrefixTransformer(prefix, new Set());
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const aliases = new Set<string>();
    collectTableAliases(args.node, aliases);
    const transformer = aliases.size === 0 ? this.plain : new PrefixTransformer(this.prefix, aliases);
    return transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** Finds `table as alias` in a query tree (FROM, JOINs, subqueries). */
function collectTableAliases(node: unknown, aliases: Set<string>): void {
  if (typeof node !== "object" || node === null) return;
  if (Array.isArray(node)) {
    for (const child of node) collectTableAliases(child, aliases);
    return;
  }
  const n = node as { kind?: string; node?: { kind?: string }; alias?: { kind?: string; name?: string } };
  if (
    n.kind === "AliasNode" &&
    n.node?.kind === "TableNode" &&
    n.alias?.kind === "IdentifierNode" &&
    n.alias.name
  ) {
    aliases.add(n.alias.name);
  }
  for (const value of Object.values(node)) {
    if (typeof value === "object" && value !== null) collectTableAliases(value, aliases);
  }
}
