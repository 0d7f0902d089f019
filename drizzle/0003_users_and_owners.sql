CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider" text NOT NULL,
	"external_id" text NOT NULL,
	"login" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "flows" DROP CONSTRAINT "flows_name_unique";--> statement-breakpoint
-- Backfill (written by hand): rows from before owners belong to the built-in local user.
INSERT INTO "users" ("provider", "external_id", "login") SELECT 'local', 'local', 'local' WHERE EXISTS (SELECT 1 FROM "flows") OR EXISTS (SELECT 1 FROM "connections");--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "owner_id" uuid;--> statement-breakpoint
UPDATE "connections" SET "owner_id" = (SELECT "id" FROM "users" WHERE "provider" = 'local' AND "external_id" = 'local');--> statement-breakpoint
ALTER TABLE "flows" ADD COLUMN "owner_id" uuid;--> statement-breakpoint
UPDATE "flows" SET "owner_id" = (SELECT "id" FROM "users" WHERE "provider" = 'local' AND "external_id" = 'local');--> statement-breakpoint
ALTER TABLE "flows" ALTER COLUMN "owner_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "users_provider_external" ON "users" USING btree ("provider","external_id");--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ADD CONSTRAINT "flows_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "flows_owner_name" ON "flows" USING btree ("owner_id","name");