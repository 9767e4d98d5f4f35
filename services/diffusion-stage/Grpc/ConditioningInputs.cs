using Omni.Common.Payloads;
using Omni.Common.Transfers;
using Omni.Common.Stages;
using Omni.Common.Validation;
using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Grpc;

/// <summary>The AR stage's hidden states that condition an image or a clip: named by the header, received, checked against the model.</summary>
internal static class ConditioningInputs
{
    public const string ConditioningTensor = "hidden_states";
    public const string NegativeConditioningTensor = "negative_hidden_states";

    /// <summary>Receives the call's inputs; returns them with the conditioning, [tokens, the model's conditioning width] float32.</summary>
    /// <param name="output">What the conditioning makes ("image", "video"), for the error message.</param>
    public static async Task<(ReceivedInputs Inputs, ReceivedTensor Conditioning)> ReceiveAsync(StageCall call, DiffusionEngine engine, long maxBytes,
        string output)
    {
        if (!call.Consumes(ConditioningTensor))
        {
            throw RequestValidator.Invalid("inputs", $"must name '{ConditioningTensor}', the tensor that conditions the {output}");
        }
        var inputs = await call.ReceiveInputsAsync(maxBytes).ConfigureAwait(false);
        return (inputs, Require(inputs, ConditioningTensor, engine));
    }

    public static ReceivedTensor Require(ReceivedInputs inputs, string name, DiffusionEngine engine) =>
        TensorRequirements.RequireFloat32Rows(inputs.Require(name), engine.ConditioningWidth, "the diffusion model's conditioning width");
}
