import { definePlugin, type ToolDefinition, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { applyPatchTool } from './apply-patch.js'
import { bashTool } from './bash.js'
import { editTool } from './edit.js'
import { createToolEnv } from './env.js'
import { readTool } from './read.js'
import { registerToolRoutes } from './routes.js'
import { globTool, grepTool, listTool } from './search-tools.js'
import { skillTool } from './skill.js'
import { taskTool } from './task.js'
import { pruneOutputs } from './truncate.js'
import { webfetchTool } from './webfetch.js'
import { writeTool } from './write.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['paths', 'extensions', 'tools', 'processes', 'env', 'publish'] as const satisfies readonly KernelMember[]
export type ToolsKernel = PluginKernel<(typeof needs)[number]>

/** The built-in tools, registered in the kernel's tool registry, and the routes that list tools. */
export default definePlugin({
  name: 'tools',
  dependencies: ['agent'],
  needs,
  register(app, kernel) {
    const env = createToolEnv(app, kernel)
    kernel.tools.register(
      'tools',
      bashTool(env),
      readTool(env),
      globTool(env),
      grepTool(env),
      listTool(env),
      editTool(env),
      writeTool(env),
      applyPatchTool(env),
      webfetchTool(env),
    )
    // Tools whose descriptions list what the instance has (its subagents, its skills).
    kernel.tools.addSource('tools', async (instance) => {
      const tools: ToolDefinition[] = [await taskTool(env, instance)]
      const skill = await skillTool(env, instance)
      if (skill) tools.push(skill)
      return tools
    })
    registerToolRoutes(app, kernel)
    void pruneOutputs(env.outputDir).catch((error) => kernel.log.warn({ err: error }, 'pruning old tool output failed'))
  },
})
