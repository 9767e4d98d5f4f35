"""The Hugging Face peer of `omni-bench ar` on the same machine (issue 16's "2x HF eager"): transformers' generate()
in eager mode on the architectures of Omni's checkpoints (their config.json; random weights, since decode throughput
does not depend on them), greedy, a 15-token prompt per sequence, 64 new tokens. Decode tokens/s is
batch x 63 / (t(64 new tokens) - t(1 new token)), the median of the rounds; the step's time is its inverse per batch.

    python3 hf-peer.py [--device cuda] [--batches 1,64] [--rounds 3] NAME=CHECKPOINT_DIR ...

Prints one markdown row per model and batch, in the columns of `omni-bench ar`'s decode step.
"""
import argparse
import os
import statistics
import time

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

PROMPT_TOKENS = 15
NEW_TOKENS = 64


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batches", default="1,64")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("models", nargs="+", help="NAME=CHECKPOINT_DIR")
    args = parser.parse_args()
    device = "cuda" if args.device.startswith("cuda") else args.device
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, device {args.device}"
          + (f" ({torch.cuda.get_device_name(0)})" if device == "cuda" else ""))
    print()
    print("| model | concurrent requests | HF decode tokens/s (median) | rounds | HF decode step, ms |")
    print("|---|---|---|---|---|")
    for item in args.models:
        name, directory = item.split("=", 1)
        if not os.path.isfile(os.path.join(directory, "config.json")):
            print(f"| {name} | - | no checkpoint at {directory} | - | - |")
            continue
        config = AutoConfig.from_pretrained(directory)
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config).to(device=args.device, dtype=torch.float32).eval()
        for batch in (int(b) for b in args.batches.split(",")):
            rates = measure(model, config.vocab_size, batch, args.rounds, args.device)
            median = statistics.median(rates)
            print(f"| {name} | {batch} | {median:.1f} | {', '.join(f'{r:.1f}' for r in rates)} | {batch * 1000 / median:.3f} |",
                  flush=True)
        del model
        if device == "cuda":
            torch.cuda.empty_cache()


def measure(model, vocab_size, batch, rounds, device):
    generator = torch.Generator(device="cpu").manual_seed(batch)
    ids = torch.randint(0, vocab_size - 1, (batch, PROMPT_TOKENS), generator=generator).to(device)
    mask = torch.ones_like(ids)

    def generate(new_tokens):
        synchronize(device)
        start = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens,
                                 min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
        synchronize(device)
        return time.perf_counter() - start, out.shape[1] - PROMPT_TOKENS

    generate(NEW_TOKENS)
    generate(1)
    rates = []
    for _ in range(rounds):
        long, generated = generate(NEW_TOKENS)
        short, _ = generate(1)
        rates.append(batch * (generated - 1) / max(long - short, 1e-9))
    return rates


def synchronize(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
