/** GET /playbooks: the playbooks this deployment runs — the engine's and those of playbook packages. */
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { EngineConfig } from '../../config/config';
import { PLAYBOOKS } from '../../domain/incident';
import { BUILT_IN_WORKFLOW_TYPES, registeredPlaybooks } from '../../domain/playbooks';
import { RequireRole } from '../auth/auth';
import { playbookListSchema, Returns } from '../common/responses';
import { ENGINE_CONFIG } from '../temporal/temporal.module';

@ApiTags('playbooks')
@ApiBearerAuth()
@Controller('playbooks')
export class PlaybooksController {
  constructor(@Inject(ENGINE_CONFIG) private readonly config: EngineConfig) {}

  @Get()
  @Returns(200, playbookListSchema)
  @RequireRole('viewer')
  @ApiOperation({ summary: 'Playbooks this deployment runs, with the detection rules that open them' })
  list() {
    const routes = this.config.playbookRoutes ?? {};
    const routedTo = (name: string) =>
      Object.entries(routes)
        .filter(([, p]) => p === name)
        .map(([rule]) => rule);
    return {
      playbooks: [
        ...PLAYBOOKS.map((name) => ({ name, workflowType: BUILT_IN_WORKFLOW_TYPES[name], package: null })),
        ...registeredPlaybooks().map((p) => ({
          name: p.name,
          workflowType: p.workflowType,
          description: p.description,
          package: p.fromPackage ?? null,
          routedRules: routedTo(p.name),
        })),
      ],
    };
  }
}
