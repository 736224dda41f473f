"""The capacity view: per environment, what each vLLM or TGI replica holds in GPU memory and KV cache."""
