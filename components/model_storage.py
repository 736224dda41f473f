"""ModelStorage: the Kubernetes objects of one storage connection (S3 ServiceAccount, PVC, PV)."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from modelfleet.build.storage import build_storage
from components.k8s_objects import register_object
from modelfleet.plan import EnvironmentPlan, StoragePlan


class ModelStorageArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan
    storage: StoragePlan


class ModelStorage(pulumi.ComponentResource):
    """Registers exactly what build_storage returns; outputs the ServiceAccount and claim models use."""

    def __init__(self, name: str, args: ModelStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:storage:ModelStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.objects = [register_object(obj, child) for obj in build_storage(args.storage, args.environment)]
        self.service_account_name = pulumi.Output.from_input(args.storage.service_account_name)
        self.claim_name = pulumi.Output.from_input(args.storage.claim_name)
        self.register_outputs({"service_account_name": self.service_account_name, "claim_name": self.claim_name})
