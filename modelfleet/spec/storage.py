"""Storage connections: where model files come from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from modelfleet.spec.base import Dns1035Label, ObjectName, Quantity, SpecModel

AccessMode = Literal["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]


class S3Connection(SpecModel):
    """An S3-compatible bucket; credentials stay in an existing Secret referenced by name."""

    endpoint: str = Field(
        description="S3 endpoint host[:port] without scheme, e.g. s3.amazonaws.com or minio.minio:9000.",
        pattern=r"^[A-Za-z0-9.-]+(:[0-9]+)?$",
    )
    region: str | None = Field(None, description="Bucket region, e.g. us-east-1.")
    bucket: str = Field(description="Bucket name.", pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    secret_name: ObjectName = Field(
        description="Existing Secret holding AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (never rendered)."
    )
    use_https: bool = Field(True, description="Talk to the endpoint over HTTPS.")
    verify_ssl: bool = Field(True, description="Verify the endpoint's TLS certificate.")
    use_anonymous_credential: bool = Field(False, description="Ignore the credentials and read anonymously.")
    service_account_name: Dns1035Label | None = Field(
        None,
        description="ServiceAccount that carries the KServe S3 annotations and the Secret; default '<storage name>-sa'.",
    )
    data_connection: bool = Field(
        False,
        description="OpenShift AI data connection: models reference the Secret as storage.key (the "
        "storage-config entry OpenShift AI builds from data-connection Secrets) instead of a ServiceAccount.",
    )


class ExistingPvc(SpecModel):
    """A PersistentVolumeClaim that already exists in the namespace."""

    claim_name: ObjectName = Field(description="Name of the existing claim.")


class CsiVolume(SpecModel):
    """A statically provisioned PersistentVolume on a CSI driver (OSS, NAS, NFS...)."""

    driver: str = Field(
        description="CSI driver, e.g. ossplugin.csi.alibabacloud.com, nasplugin.csi.alibabacloud.com, nfs.csi.k8s.io."
    )
    volume_handle: str = Field(description="Volume handle unique on the driver (often the PV name).")
    attributes: dict[str, str] = Field(
        default_factory=dict, description="volumeAttributes, e.g. bucket, url, path, otherOpts."
    )
    node_publish_secret_name: ObjectName | None = Field(
        None, description="Existing Secret with the driver's access keys (nodePublishSecretRef)."
    )
    mount_options: list[str] = Field(default_factory=list, description="Mount options of the volume.")
    reclaim_policy: Literal["Retain", "Delete"] = Field("Retain", description="What happens to the data when released.")


class NewPvc(SpecModel):
    """A claim this environment creates, optionally bound to its own PersistentVolume."""

    claim_name: ObjectName | None = Field(None, description="Claim name; default the storage name.")
    size: Quantity = Field(description="Requested capacity, e.g. 100Gi.")
    storage_class_name: str | None = Field(
        None, description="StorageClass for dynamic provisioning; ignored (set to '') when volume is given."
    )
    access_modes: list[AccessMode] = Field(["ReadOnlyMany"], min_length=1, description="Access modes of the claim.")
    volume: CsiVolume | None = Field(None, description="Bind to a new static PersistentVolume on this CSI driver.")


class HuggingFaceHub(SpecModel):
    """Models pulled from the Hugging Face hub (hf://org/model)."""

    token_secret_name: ObjectName | None = Field(None, description="Existing Secret holding the hub token.")
    token_secret_key: str = Field("token", description="Key of the token inside that Secret.")


class OciRegistry(SpecModel):
    """Models packaged as OCI images (oci://registry/repo:tag), mounted as a modelcar."""

    registry: str = Field(description="Registry and repository prefix, e.g. quay.io/acme/models.")
    image_pull_secret_name: ObjectName | None = Field(None, description="Existing pull Secret for the registry.")


class Storage(SpecModel):
    """A named storage connection; set exactly one of s3, pvc, newPvc, huggingFace, oci."""

    name: Dns1035Label = Field(description="Storage name, referenced by models[].storage.name.")
    s3: S3Connection | None = Field(None, description="S3-compatible bucket.")
    pvc: ExistingPvc | None = Field(None, description="Existing PersistentVolumeClaim.")
    new_pvc: NewPvc | None = Field(None, description="PersistentVolumeClaim (and optional PV) created here.")
    hugging_face: HuggingFaceHub | None = Field(None, description="Hugging Face hub.")
    oci: OciRegistry | None = Field(None, description="OCI registry holding model images.")

    @model_validator(mode="after")
    def _exactly_one(self) -> "Storage":
        sources = {"s3": self.s3, "pvc": self.pvc, "newPvc": self.new_pvc, "huggingFace": self.hugging_face, "oci": self.oci}
        given = [name for name, value in sources.items() if value is not None]
        if len(given) != 1:
            raise ValueError(
                f"set exactly one of s3, pvc, newPvc, huggingFace, oci (found {', '.join(given) or 'none'})"
            )
        return self

