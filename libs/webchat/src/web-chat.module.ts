import { Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, redisKey, type AppConfig } from '@openflows/common';
import { ChatService, LlmGateway, LlmUsageStore, MediaService, RedisConversationMemory } from '@openflows/llm';
import { SecretsModule } from '@openflows/secrets';
import { ConversationTranscript } from './conversation-transcript';
import { MessageLimiter } from './message-limiter.service';
import { VisitorSessions } from './visitor-sessions';
import { WebChatAdapter } from './web-chat.adapter';
import { WebChatKeysService } from './web-chat-keys.service';
import { WebChatPasswordService } from './web-chat-password.service';
import { WebChatService } from './web-chat.service';
import { ConversationPublisher, ConversationStreams } from './web-chat-streams';

/** Web chats: keys, the adapter, visitors' sessions, the password gate and the answers' streams. Needs config, Redis and db. */
const providers = [
  WebChatAdapter,
  WebChatKeysService,
  WebChatService,
  WebChatPasswordService,
  MessageLimiter,
  VisitorSessions,
  ConversationTranscript,
  ConversationPublisher,
  ConversationStreams,
];

/** The LLM gateway the worker's runs use, here for voice messages: the same accounting and budgets. */
const llmGateway = {
  provide: LlmGateway,
  inject: [APP_CONFIG, REDIS],
  useFactory: (config: AppConfig, redis: Redis) => {
    const clients = { defaultBaseUrl: config.llm.baseUrl, maxRetries: config.llm.maxRetries };
    const memory = new RedisConversationMemory(redis, redisKey(config), config.llm.conversationTtlSeconds);
    return new LlmGateway(new ChatService(memory, clients), new MediaService(clients), new LlmUsageStore(redis, redisKey(config)));
  },
};

@Module({ imports: [SecretsModule], providers: [...providers, llmGateway], exports: providers })
export class WebChatModule {}
