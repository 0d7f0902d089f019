import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@openflows/db';
import { CurrentUser } from '../auth/current-user.decorator';
import { LlmUsageQueryDto, LlmUsageView, PutLlmBudgetDto } from './flow-llm.dto';
import { FlowLlmService } from './flow-llm.service';

/** `/api/flows/:name/llm-*`: a flow's LLM tokens and estimated cost per day, and its monthly token budget. */
@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/flows/:name')
export class FlowLlmController {
  constructor(private readonly llm: FlowLlmService) {}

  @Get('llm-usage')
  @ApiOkResponse({ type: LlmUsageView })
  usage(@CurrentUser() user: User, @Param('name') name: string, @Query() query: LlmUsageQueryDto): Promise<LlmUsageView> {
    return this.llm.usageOf(user.id, name, query.days ?? 30);
  }

  /** Calls past the budget fail with SdkError `BUDGET_EXCEEDED` in the flow until the month ends. */
  @Put('llm-budget')
  @ApiOkResponse({ type: LlmUsageView, description: "Today's use, this month's tokens and the budget now set." })
  budget(@CurrentUser() user: User, @Param('name') name: string, @Body() dto: PutLlmBudgetDto): Promise<LlmUsageView> {
    return this.llm.setBudget(user.id, name, dto.monthlyTokens);
  }
}
