using Omni.Common.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Llama/Qwen2 causal LM: <c>model.*</c> plus <c>lm_head</c>. With tied embeddings there is no lm_head module
/// (and no <c>lm_head.weight</c> key): logits reuse <c>model.embed_tokens.weight</c>, as transformers does.
/// </summary>
public sealed class CausalLanguageModel : nn.Module<ForwardBatch, KvBlockPool, Tensor>
{
    // Field names are the checkpoint key prefixes ("model.", "lm_head.").
    private readonly DecoderModel model;
    private readonly Linear? lm_head;

    public CausalLanguageModel(TransformerConfig config) : base(nameof(CausalLanguageModel))
    {
        config.Validate();
        Config = config;
        model = new DecoderModel(config);
        lm_head = config.TieWordEmbeddings ? null : nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        DetachParametersFromDisposeScope();
    }

    public TransformerConfig Config { get; }

    /// <summary>The token embeddings [vocab, hidden] (<c>model.embed_tokens.weight</c>).</summary>
    public Tensor EmbeddingWeight => model.EmbeddingWeight;

    /// <summary>The dtype of the weights (and of the KV cache and activations).</summary>
    public ScalarType DType => model.EmbeddingWeight.dtype;

    /// <summary>Final-norm hidden states [rows, hidden] of the batch; see <see cref="DecoderModel.forward"/>.</summary>
    public override Tensor forward(ForwardBatch batch, KvBlockPool pool) => model.call(batch, pool);

    /// <summary>
    /// One product for each layer's q/k/v projections and one for its gate/up projections, the parameters becoming views
    /// of the fused weights (same names, same memory): fewer kernel launches per step, for an engine without batch
    /// invariance (a product's bits depend on its shape). Call after the model's last move to a device or dtype; a model
    /// moved afterwards computes the projections apart again.
    /// </summary>
    public void FuseProjections()
    {
        model.FuseProjections();
        DetachParametersFromDisposeScope();
    }

    /// <summary>
    /// The model owns its parameters: when it is built (or moved to another device or dtype) inside a caller's
    /// dispose scope, the parameter tensors would otherwise be disposed with that scope.
    /// </summary>
    public void DetachParametersFromDisposeScope()
    {
        foreach (var parameter in parameters())
        {
            parameter.DetachFromDisposeScope();
        }
    }

    /// <summary>Projects final-norm hidden states [..., hidden] to float32 vocabulary logits [..., vocab].</summary>
    public Tensor Logits(Tensor hidden, bool batchInvariant = true)
    {
        using var scope = NewDisposeScope();
        var logits = BatchInvariantOps.Linear(hidden, lm_head is null ? model.EmbeddingWeight : lm_head.weight!, lm_head?.bias, batchInvariant);
        return logits.InDType(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
