import type { CoreKernel } from './index.js'
import { Type } from 'typebox'
import { BadRequestErrorBody, InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'

// OpenCode console accounts and self-upgrade, which this server does not have: the answers say so
// in OpenCode's shapes, so its clients show a message instead of failing on a 404.

const NoConsoleAccount = Type.Object(
  {
    _tag: Type.Optional(Type.Literal('BadRequest')),
    name: Type.Literal('BadRequest'),
    data: Type.Object({ message: Type.String() }, { additionalProperties: true }),
  },
  {
    description:
      'OpenCode\'s `{_tag: "BadRequest"}` and this server\'s `{name, data: {message}}` in one body (a body that fails validation has no `_tag`)',
  },
)

const UpgradeResult = Type.Union([
  Type.Object({ success: Type.Literal(true), version: Type.String() }, { additionalProperties: false }),
  Type.Object({ success: Type.Literal(false), error: Type.String() }, { additionalProperties: false }),
])

const UpgradeUnavailable = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.String(),
    name: Type.Literal('UpgradeUnavailableError'),
    data: Type.Object({ message: Type.String() }),
  },
  { description: "OpenCode's `{success: false, error}` and this server's `{name, data: {message}}` in one body" },
)

export function registerConsoleRoutes(app: PluginApp, kernel: CoreKernel): void {
  app.get(
    '/experimental/console/orgs',
    {
      schema: {
        operationId: 'experimental.console.listOrgs',
        tags: ['experimental'],
        summary: 'List switchable Console orgs',
        description: 'No OpenCode console account is logged in to this server: always `{orgs: []}`.',
        querystring: Type.Object(InstanceQuery),
        response: {
          200: Type.Object(
            {
              orgs: Type.Array(
                Type.Object({
                  accountID: Type.String(),
                  accountEmail: Type.String(),
                  accountUrl: Type.String(),
                  orgID: Type.String(),
                  orgName: Type.String(),
                  active: Type.Boolean(),
                }),
              ),
            },
            { additionalProperties: false },
          ),
        },
      },
    },
    async () => ({ orgs: [] }),
  )

  app.post(
    '/experimental/console/switch',
    {
      schema: {
        operationId: 'experimental.console.switchOrg',
        tags: ['experimental'],
        summary: 'Switch active Console org',
        description:
          'There is no console account to switch to here: 400, as OpenCode answers when no account is logged in.',
        querystring: Type.Object(InstanceQuery),
        body: Type.Object(
          { accountID: Type.String({ maxLength: 200 }), orgID: Type.String({ maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Boolean(), 400: NoConsoleAccount },
      },
    },
    async (_request, reply) =>
      reply.status(400).send({
        _tag: 'BadRequest',
        name: 'BadRequest',
        data: { message: 'No OpenCode console account is logged in to this server: there is no org to switch to' },
      }),
  )

  app.post(
    '/global/upgrade',
    {
      config: { instance: false },
      schema: {
        operationId: 'global.upgrade',
        tags: ['global'],
        summary: 'Upgrade opencode',
        description:
          'This server never replaces its own files: it is installed with npm, so the answer is 400 `{success: false, error}` naming the npm command to run (and the server to restart), as OpenCode answers for an installation it cannot upgrade, with `name: "UpgradeUnavailableError"` and `data.message` (the same text) as every error here.',
        body: Type.Object({ target: Type.String({ maxLength: 100 }) }, { additionalProperties: false }),
        response: { 200: UpgradeResult, 400: Type.Union([UpgradeUnavailable, ref(BadRequestErrorBody)]) },
      },
    },
    async (request, reply) => {
      const { target } = request.body
      const version = /^[0-9A-Za-z.+-]+$/.test(target) ? target : 'latest'
      const message = `opencode-kernel ${kernel.version} is installed with npm and does not upgrade itself: run \`npm install -g opencode-kernel@${version}\` and restart the server`
      return reply
        .status(400)
        .send({ success: false, error: message, name: 'UpgradeUnavailableError', data: { message } })
    },
  )
}
