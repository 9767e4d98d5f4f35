namespace Omni.ArStage.Model;

/// <summary>Saves a model as a Hugging Face checkpoint directory (config.json + model.safetensors).</summary>
public static class CheckpointWriter
{
    public static void Save(CausalLanguageModel model, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, CheckpointLoader.ConfigFileName), model.Config.ToJson());
        SafetensorsWriter.Write(
            Path.Combine(directory, CheckpointLoader.WeightsFileName),
            model.named_parameters().Select(p => SafetensorsTensor.FromTensor(p.name, p.parameter)));
    }
}
