ALTER TABLE "subscriptions" ADD COLUMN "registered" boolean DEFAULT true NOT NULL;--> statement-breakpoint
-- Connection states are now active, revoked and error, each with a reason (issue 3); rename the old GitHub ones.
UPDATE "connections" SET "status" = 'error', "status_reason" = 'suspended' WHERE "status" = 'suspended';--> statement-breakpoint
UPDATE "connections" SET "status" = 'revoked', "status_reason" = 'installation_deleted' WHERE "status" = 'deleted';
