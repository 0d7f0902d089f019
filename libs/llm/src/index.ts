export * from './llm-key';
export * from './conversation.store';
export * from './context-window';
export * from './chat-params';
export * from './openai-clients';
export * from './chat.service';
