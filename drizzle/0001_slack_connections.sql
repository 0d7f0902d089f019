ALTER TABLE "connections" ADD COLUMN "status_reason" text;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "bot_user_id" text;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "credentials" text;