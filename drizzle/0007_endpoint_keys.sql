CREATE TABLE "endpoint_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"flow_id" uuid NOT NULL,
	"endpoint" text NOT NULL,
	"key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone,
	CONSTRAINT "endpoint_keys_key_unique" UNIQUE("key")
);
--> statement-breakpoint
ALTER TABLE "endpoint_keys" ADD CONSTRAINT "endpoint_keys_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "endpoint_keys_flow_endpoint" ON "endpoint_keys" USING btree ("flow_id","endpoint");