-- AlterEnum
ALTER TYPE "payment_status" ADD VALUE 'rejected';

-- AlterTable
ALTER TABLE "payments" ADD COLUMN     "payment_required" TEXT;

-- CreateIndex
CREATE INDEX "payments_org_id_status_created_at_id_idx" ON "payments"("org_id", "status", "created_at", "id");

-- CreateIndex
CREATE INDEX "payments_status_updated_at_idx" ON "payments"("status", "updated_at");
