using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Omni.Common.Transfers;

namespace Omni.Common.Hosting;

/// <summary>What every stage process shares: its identity flags and model flags.</summary>
public static class StageDefaults
{
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--stage-id"] = "Stage:StageId",
        ["--replica-id"] = "Stage:ReplicaId",
        ["--engine-id"] = "Stage:EngineId",
        ["--model-dir"] = "Model:ModelDirectory",
        ["--model-name"] = "Model:ModelName",
        ["--device"] = "Model:Device",
        ["--cache-dir"] = "Model:CacheDirectory",
        ["--max-waiting"] = "Model:MaxWaiting",
        ["--warm-up"] = "Model:WarmUp",
        ["--transfer-peers"] = "Transfers:Peers",
        ["--max-incoming-transfers"] = "Transfers:MaxIncoming",
        ["--unpaired-transfer-timeout"] = "Transfers:UnpairedTimeoutSeconds",
        ["--input-idle-timeout"] = "Transfers:InputIdleTimeoutSeconds",
    };

    /// <summary>
    /// Binds the stage identity and the model options (<typeparamref name="TModelOptions"/>), validated at start, and
    /// registers the transfer endpoints and the load reporter (which needs an <see cref="Engine.IStageLoad"/>).
    /// </summary>
    public static WebApplicationBuilder AddStageDefaults<TModelOptions>(this WebApplicationBuilder builder)
        where TModelOptions : StageModelOptions
    {
        builder.Services.AddOptions<StageIdentityOptions>()
            .Bind(builder.Configuration.GetSection(StageIdentityOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<TransferOptions>()
            .Bind(builder.Configuration.GetSection(TransferOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<TransferPeers>();
        builder.Services.AddSingleton<TransferRegistry>();
        builder.Services.AddSingleton<DirectTransferSender>();
        builder.Services.AddSingleton<LoadReporter>();
        builder.Services.AddSingleton<Stages.StageHost>();
        builder.Services.AddOptions<TModelOptions>()
            .Bind(builder.Configuration.GetSection(StageModelOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return builder;
    }

    /// <summary>The platform's metrics of a stage replica, labelled as its engine families are (model_name, engine, stage_id, replica_id).</summary>
    public static WebApplication UseStagePlatformMetrics(this WebApplication app, string modelName)
    {
        ArgumentNullException.ThrowIfNull(app);
        var identity = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StageIdentityOptions>>().Value;
        return app.UsePlatformMetrics(Metrics.MetricLabels.Engine4, identity.LabelValues(modelName));
    }
}
