/**
 * What the OpenAI stand-in refuses, as the real API does (400 `invalid_request_error`), taken from
 * OpenAI's published OpenAPI description (openai/openai-openapi, MIT, spec 2.3.0): the request
 * schemas `CreateChatCompletionRequest`, `CreateImageRequest`, `CreateTranscriptionRequest` and
 * `CreateEmbeddingRequest` (their property lists, required fields, enums and ranges), and the message
 * rules the API states in its errors (tool results must answer a preceding `tool_calls`, every tool
 * call must be answered, `json_object` needs the word "json" in the messages). Each check throws a
 * {@link RefusedRequest} with the API's wording.
 */

/** A request the API refuses: answered `status` with `{ error: { message, type, param, code } }`. */
export class RefusedRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The properties of CreateChatCompletionRequest (with CreateModelResponseProperties), spec 2.3.0. */
const CHAT_FIELDS = new Set(
  (
    'metadata top_logprobs temperature top_p user safety_identifier prompt_cache_key prompt_cache_retention prompt_cache_options ' +
    'messages model service_tier modalities verbosity reasoning_effort max_completion_tokens frequency_penalty presence_penalty ' +
    'web_search_options response_format audio store moderation stream stop logit_bias logprobs max_tokens n prediction seed ' +
    'stream_options tools tool_choice parallel_tool_calls function_call functions'
  ).split(' '),
);
const IMAGE_FIELDS = new Set(
  'prompt model n quality response_format output_format output_compression stream partial_images size moderation background style user'.split(
    ' ',
  ),
);
/** CreateTranscriptionRequest has `additionalProperties: false`. */
const TRANSCRIPTION_FIELDS = new Set(
  'file model language languages keywords prompt response_format temperature include timestamp_granularities stream chunking_strategy known_speaker_names known_speaker_references'.split(
    ' ',
  ),
);
/** CreateEmbeddingRequest has `additionalProperties: false`. */
const EMBEDDING_FIELDS = new Set('input model encoding_format dimensions user'.split(' '));
/** The file formats `file` of a transcription may have (the request schema's description). */
const AUDIO_EXTENSIONS = new Set(['flac', 'mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'ogg', 'wav', 'webm']);
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ROLES = new Set(['developer', 'system', 'user', 'assistant', 'tool', 'function']);
const IMAGE_SIZES = new Set(['auto', '1024x1024', '1536x1024', '1024x1536', '256x256', '512x512', '1792x1024', '1024x1792']);

type Json = Record<string, unknown>;

function unknownFields(body: Json, known: Set<string>): void {
  for (const field of Object.keys(body)) {
    if (!known.has(field)) throw new RefusedRequest(`Unrecognized request argument supplied: ${field}`, field);
  }
}

function required(body: Json, field: string): void {
  if (body[field] === undefined || body[field] === null) throw new RefusedRequest(`Missing required parameter: '${field}'.`, field);
}

function number(body: Json, field: string, min: number, max: number, integer = false): void {
  const value = body[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || (integer && !Number.isInteger(value))) {
    throw new RefusedRequest(
      `Invalid type for '${field}': expected ${integer ? 'an integer' : 'a decimal'}, but got ${typeof value} instead.`,
      field,
    );
  }
  if (value < min)
    throw new RefusedRequest(
      `Invalid '${field}': decimal below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
      field,
    );
  if (value > max)
    throw new RefusedRequest(
      `Invalid '${field}': decimal above maximum value. Expected a value <= ${max}, but got ${value} instead.`,
      field,
    );
}

function string(body: Json, field: string): void {
  const value = body[field];
  if (value !== undefined && value !== null && typeof value !== 'string') {
    throw new RefusedRequest(`Invalid type for '${field}': expected a string, but got ${typeof value} instead.`, field);
  }
}

function oneOf(body: Json, field: string, values: Set<string>): void {
  const value = body[field];
  if (value !== undefined && value !== null && !values.has(value as string)) {
    throw new RefusedRequest(
      `Invalid value: '${String(value)}'. Supported values are: ${[...values].map((v) => `'${v}'`).join(', ')}.`,
      field,
    );
  }
}

/** The text of a message's content, for the `json` word check (strings and text parts). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join(' ');
  return '';
}

/** @throws RefusedRequest for anything CreateChatCompletionRequest or the API's message rules refuse. */
export function checkChatCompletion(body: Json): void {
  unknownFields(body, CHAT_FIELDS);
  required(body, 'model');
  required(body, 'messages');
  string(body, 'model');
  number(body, 'temperature', 0, 2);
  number(body, 'top_p', 0, 1);
  number(body, 'frequency_penalty', -2, 2);
  number(body, 'presence_penalty', -2, 2);
  number(body, 'n', 1, 128, true);
  number(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  number(body, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  if (/^o\d/.test(String(body.model)) && body.max_tokens !== undefined) {
    throw new RefusedRequest(
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      'max_tokens',
    );
  }
  checkStop(body.stop);
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    throw new RefusedRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  }
  const tools = checkTools(body.tools);
  if (body.tool_choice !== undefined && tools.size === 0) {
    throw new RefusedRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
  }
  if (typeof body.tool_choice === 'string') oneOf(body, 'tool_choice', new Set(['none', 'auto', 'required']));
  checkMessages(body.messages);
  checkResponseFormat(body.response_format, body.messages as Json[]);
}

function checkStop(stop: unknown): void {
  if (stop === undefined || stop === null || typeof stop === 'string') return;
  if (!Array.isArray(stop) || stop.length < 1 || stop.some((s) => typeof s !== 'string')) {
    throw new RefusedRequest("Invalid type for 'stop': expected a string or an array of strings.", 'stop');
  }
  if (stop.length > 4)
    throw new RefusedRequest(
      `Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${stop.length} instead.`,
      'stop',
    );
}

/** @returns the tools' names. */
function checkTools(tools: unknown): Set<string> {
  const names = new Set<string>();
  if (tools === undefined) return names;
  if (!Array.isArray(tools)) throw new RefusedRequest("Invalid type for 'tools': expected an array.", 'tools');
  tools.forEach((tool: Json, index) => {
    const fn = tool?.function as Json | undefined;
    if (tool?.type !== 'function' || !fn || typeof fn !== 'object') {
      throw new RefusedRequest(`Missing required parameter: 'tools[${index}].function'.`, `tools[${index}].function`);
    }
    if (typeof fn.name !== 'string' || !NAME.test(fn.name)) {
      throw new RefusedRequest(
        `Invalid 'tools[${index}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `tools[${index}].function.name`,
      );
    }
    if (fn.parameters !== undefined && (typeof fn.parameters !== 'object' || fn.parameters === null || Array.isArray(fn.parameters))) {
      throw new RefusedRequest(
        `Invalid type for 'tools[${index}].function.parameters': expected an object.`,
        `tools[${index}].function.parameters`,
      );
    }
    names.add(fn.name);
  });
  return names;
}

function checkMessages(messages: unknown): void {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new RefusedRequest(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
    );
  }
  let unanswered: string[] = [];
  messages.forEach((message: Json, index) => {
    const at = `messages[${index}]`;
    if (!message || !ROLES.has(message.role as string)) {
      throw new RefusedRequest(
        `Invalid value: '${String(message?.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `${at}.role`,
      );
    }
    if (message.role !== 'tool' && unanswered.length > 0) {
      throw new RefusedRequest(
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${unanswered.join(', ')}`,
        `${at}.role`,
      );
    }
    const calls = message.tool_calls as Json[] | undefined;
    if (message.role === 'assistant') {
      if ((message.content === undefined || message.content === null) && !calls) {
        throw new RefusedRequest(`Missing required parameter: '${at}.content'.`, `${at}.content`);
      }
      for (const [n, call] of (calls ?? []).entries()) {
        const fn = call?.function as Json | undefined;
        if (typeof call?.id !== 'string' || call.type !== 'function' || typeof fn?.name !== 'string' || typeof fn?.arguments !== 'string') {
          throw new RefusedRequest(`Missing required parameter: '${at}.tool_calls[${n}].function'.`, `${at}.tool_calls[${n}]`);
        }
      }
      unanswered = (calls ?? []).map((call) => call.id as string);
      return;
    }
    if (message.role === 'tool') {
      if (!unanswered.includes(message.tool_call_id as string)) {
        throw new RefusedRequest(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `${at}.role`,
        );
      }
      unanswered = unanswered.filter((id) => id !== message.tool_call_id);
    }
    if (typeof message.content !== 'string' && !Array.isArray(message.content)) {
      throw new RefusedRequest(
        `Invalid type for '${at}.content': expected one of a string or array of objects, but got ${message.content === null ? 'null' : typeof message.content} instead.`,
        `${at}.content`,
      );
    }
  });
  if (unanswered.length > 0) {
    throw new RefusedRequest(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${unanswered.join(', ')}`,
      'messages',
    );
  }
}

function checkResponseFormat(format: unknown, messages: Json[]): void {
  if (format === undefined || format === null) return;
  const { type, json_schema: schema } = format as Json;
  if (type === 'text') return;
  if (type === 'json_object') {
    if (!messages.some((m) => /json/i.test(contentText(m.content)))) {
      throw new RefusedRequest(
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        'messages',
      );
    }
    return;
  }
  if (type !== 'json_schema') {
    throw new RefusedRequest(
      `Invalid value: '${String(type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
      'response_format.type',
    );
  }
  const spec = schema as Json | undefined;
  if (!spec || typeof spec.name !== 'string')
    throw new RefusedRequest("Missing required parameter: 'response_format.json_schema.name'.", 'response_format.json_schema.name');
  if (!NAME.test(spec.name)) {
    throw new RefusedRequest(
      "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
      'response_format.json_schema.name',
    );
  }
  if (spec.schema !== undefined && (typeof spec.schema !== 'object' || spec.schema === null)) {
    throw new RefusedRequest(
      "Invalid type for 'response_format.json_schema.schema': expected an object.",
      'response_format.json_schema.schema',
    );
  }
}

/** @throws RefusedRequest for anything CreateImageRequest refuses. */
export function checkImageRequest(body: Json): void {
  unknownFields(body, IMAGE_FIELDS);
  required(body, 'prompt');
  string(body, 'prompt');
  string(body, 'model');
  number(body, 'n', 1, 10, true);
  if (body.model === 'dall-e-3' && typeof body.n === 'number' && body.n > 1) {
    throw new RefusedRequest(
      "Invalid 'n': integer above maximum value. Expected a value <= 1, but got " + String(body.n) + ' instead.',
      'n',
    );
  }
  oneOf(body, 'response_format', new Set(['url', 'b64_json']));
  oneOf(body, 'quality', new Set(['standard', 'hd', 'low', 'medium', 'high', 'auto']));
  // GPT image models take arbitrary sizes; the fixed list applies to the DALL·E models.
  if (String(body.model ?? 'dall-e-2').startsWith('dall-e')) oneOf(body, 'size', IMAGE_SIZES);
}

/** A transcription upload's fields and file, as the stand-in read them from the multipart body. */
export interface TranscriptionUpload {
  fields: Record<string, string>;
  file?: { name: string; type: string; bytes: Buffer };
}

/** @throws RefusedRequest for anything CreateTranscriptionRequest refuses, or a file that is not the audio its name says. */
export function checkTranscription(upload: TranscriptionUpload): void {
  for (const field of Object.keys(upload.fields)) {
    if (!TRANSCRIPTION_FIELDS.has(field)) throw new RefusedRequest(`Unrecognized request argument supplied: ${field}`, field);
  }
  if (!upload.file) throw new RefusedRequest("Missing required parameter: 'file'.", 'file');
  required(upload.fields, 'model');
  oneOf(upload.fields, 'response_format', new Set(['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json']));
  const extension = upload.file.name.split('.').pop()?.toLowerCase() ?? '';
  if (!AUDIO_EXTENSIONS.has(extension) || !looksLike(extension, upload.file.bytes)) {
    throw new RefusedRequest(`Invalid file format. Supported formats: ${JSON.stringify([...AUDIO_EXTENSIONS])}`, 'file');
  }
}

/** The container signatures of the formats whose files start with one (RIFF/WAVE, Ogg, FLAC, EBML). */
function looksLike(extension: string, bytes: Buffer): boolean {
  switch (extension) {
    case 'wav':
      return bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WAVE';
    case 'ogg':
      return bytes.subarray(0, 4).toString('latin1') === 'OggS';
    case 'flac':
      return bytes.subarray(0, 4).toString('latin1') === 'fLaC';
    case 'webm':
      return bytes.readUInt32BE(0) === 0x1a45dfa3;
    default:
      return bytes.length > 0;
  }
}

/** @throws RefusedRequest for anything CreateEmbeddingRequest refuses. */
export function checkEmbeddingRequest(body: Json): void {
  unknownFields(body, EMBEDDING_FIELDS);
  required(body, 'model');
  required(body, 'input');
  const { input } = body;
  const strings = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(strings) || strings.length < 1 || strings.length > 2048 || strings.some((s) => typeof s !== 'string')) {
    throw new RefusedRequest("Invalid 'input': expected a string or an array of 1 to 2048 strings.", 'input');
  }
  if (strings.some((s) => s === ''))
    throw new RefusedRequest(
      "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
      'input',
    );
  oneOf(body, 'encoding_format', new Set(['float', 'base64']));
  number(body, 'dimensions', 1, 3072, true);
}
