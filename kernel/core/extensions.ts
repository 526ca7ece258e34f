/** A typed place where plugins contribute values (tools, providers, OAuth methods ...). */
export interface ExtensionPoint<T> {
  readonly id: string
  /** Never set; carries the contributed type. */
  readonly _type?: T
}

export function defineExtensionPoint<T>(id: string): ExtensionPoint<T> {
  return { id }
}

/** Contributions to extension points, keyed by point id and contributing plugin. */
export class ExtensionRegistry {
  private readonly points = new Map<string, Map<string, unknown[]>>()

  /** Adds `value` to `point` on behalf of `plugin`. */
  provide<T>(point: ExtensionPoint<T>, plugin: string, value: T): void {
    let byPlugin = this.points.get(point.id)
    if (!byPlugin) this.points.set(point.id, (byPlugin = new Map()))
    let values = byPlugin.get(plugin)
    if (!values) byPlugin.set(plugin, (values = []))
    values.push(value)
  }

  /** Everything contributed to `point`, in plugin registration order. */
  get<T>(point: ExtensionPoint<T>): T[] {
    const byPlugin = this.points.get(point.id)
    if (!byPlugin) return []
    return [...byPlugin.values()].flat() as T[]
  }

  /** Drops one plugin's contributions (before it is reloaded). */
  withdraw(plugin: string): void {
    for (const byPlugin of this.points.values()) byPlugin.delete(plugin)
  }

  /** Every contribution, to put back with the returned function (a dev-mode reload that failed). */
  snapshot(): () => void {
    const copy = new Map(
      [...this.points].map(([id, byPlugin]) => [
        id,
        new Map([...byPlugin].map(([plugin, values]) => [plugin, [...values]])),
      ]),
    )
    return () => {
      this.points.clear()
      for (const [id, byPlugin] of copy) this.points.set(id, byPlugin)
    }
  }

  clear(): void {
    this.points.clear()
  }
}
