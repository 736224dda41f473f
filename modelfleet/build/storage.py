"""Storage objects: the S3 ServiceAccount with KServe's S3 annotations, a PVC and its static PV.

Secrets are never built: credentials stay in Secrets that exist on the cluster, referenced by name.
"""

from __future__ import annotations

from modelfleet.plan import EnvironmentPlan, StoragePlan
from modelfleet.build.metadata import object_metadata

S3_ANNOTATION_PREFIX = "serving.kserve.io/"


def _flag(value: bool) -> str:
    return "1" if value else "0"


def build_s3_service_account(storage: StoragePlan, env: EnvironmentPlan) -> dict:
    s3 = storage.spec.s3
    annotations = {
        f"{S3_ANNOTATION_PREFIX}s3-endpoint": s3.endpoint,
        f"{S3_ANNOTATION_PREFIX}s3-usehttps": _flag(s3.use_https),
        f"{S3_ANNOTATION_PREFIX}s3-verifyssl": _flag(s3.verify_ssl),
        f"{S3_ANNOTATION_PREFIX}s3-useanoncredential": str(s3.use_anonymous_credential).lower(),
    }
    if s3.region:
        annotations[f"{S3_ANNOTATION_PREFIX}s3-region"] = s3.region
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_metadata(env, storage.service_account_name, annotations=annotations.items()),
        "secrets": [{"name": s3.secret_name}],
    }


def build_persistent_volume_claim(storage: StoragePlan, env: EnvironmentPlan) -> dict:
    pvc = storage.spec.new_pvc
    spec: dict = {"accessModes": list(pvc.access_modes), "resources": {"requests": {"storage": pvc.size}}}
    if storage.volume_name is not None:
        spec["storageClassName"] = ""  # bind to our static volume, never to a provisioner
        spec["volumeName"] = storage.volume_name
    elif pvc.storage_class_name is not None:
        spec["storageClassName"] = pvc.storage_class_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": object_metadata(env, storage.claim_name),
        "spec": spec,
    }


def build_persistent_volume(storage: StoragePlan, env: EnvironmentPlan) -> dict:
    pvc = storage.spec.new_pvc
    volume = pvc.volume
    csi: dict = {"driver": volume.driver, "volumeHandle": volume.volume_handle}
    if volume.attributes:
        csi["volumeAttributes"] = dict(sorted(volume.attributes.items()))
    if volume.node_publish_secret_name:
        csi["nodePublishSecretRef"] = {"name": volume.node_publish_secret_name, "namespace": env.namespace}
    spec: dict = {
        "capacity": {"storage": pvc.size},
        "accessModes": list(pvc.access_modes),
        "persistentVolumeReclaimPolicy": volume.reclaim_policy,
        "storageClassName": "",
        "claimRef": {"namespace": env.namespace, "name": storage.claim_name},
        "csi": csi,
    }
    if volume.mount_options:
        spec["mountOptions"] = list(volume.mount_options)
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": object_metadata(env, storage.volume_name, namespaced=False),
        "spec": spec,
    }


def build_storage(storage: StoragePlan, env: EnvironmentPlan) -> list[dict]:
    """The objects one storage connection needs (none for existing PVCs, the hub and OCI registries)."""
    if storage.service_account_name is not None:
        return [build_s3_service_account(storage, env)]
    if storage.spec.new_pvc is not None:
        objects = [build_persistent_volume_claim(storage, env)]
        if storage.volume_name is not None:
            objects.append(build_persistent_volume(storage, env))
        return objects
    return []
