import { Module } from '@nestjs/common';
import { SecretsModule } from '@openflows/secrets';
import { ConversationTranscript } from './conversation-transcript';
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
  VisitorSessions,
  ConversationTranscript,
  ConversationPublisher,
  ConversationStreams,
];

@Module({ imports: [SecretsModule], providers, exports: providers })
export class WebChatModule {}
