CREATE TABLE "web_chats" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"flow_id" uuid NOT NULL,
	"chat" text NOT NULL,
	"key" text NOT NULL,
	"password_hash" text,
	"password_source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone,
	CONSTRAINT "web_chats_key_unique" UNIQUE("key")
);
--> statement-breakpoint
ALTER TABLE "web_chats" ADD CONSTRAINT "web_chats_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "web_chats_flow_chat" ON "web_chats" USING btree ("flow_id","chat");